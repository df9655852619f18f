import Hummingbird
import Prometheus

/// The console's own metrics, in the registry `/metrics` shows: HTTP requests by method, route
/// and status (`agentpool_http_requests_total`) and the open SSE streams (`agentpool_sse_clients`).
final class ConsoleMetrics: Sendable {
    /// Gauge: SSE streams open now.
    let sseClients: Gauge
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        sseClients = registry.makeGauge(name: "agentpool_sse_clients", help: "Server-Sent Events streams open now")
    }

    /// Counts one request answered with `status` on `route` (the route pattern, not the path:
    /// store values never become label values).
    func request(method: String, route: String, status: Int) {
        registry.makeCounter(name: "agentpool_http_requests_total",
                             labels: [("method", method), ("route", route), ("status", String(status))],
                             help: "HTTP requests answered, by method, route pattern and status").increment()
    }
}

/// Counts every request in ``ConsoleMetrics``, refusals included.
struct RequestCounting<Context: RequestContext>: RouterMiddleware {
    let metrics: ConsoleMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status)
            throw error
        }
    }
}

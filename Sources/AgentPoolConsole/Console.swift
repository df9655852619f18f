import AgentPool
import Foundation
import Hummingbird
import Logging
import Prometheus

/// The web console and HTTP API over the pools of one store: what `agentpool serve` runs.
///
/// Routes (stable; docs/CONSOLE.md): `GET /api/pools`, `GET /api/pools/{pool}` (snapshot),
/// `…/members`, `…/claims`, `…/dead`, `…/consumers`, `…/wakes`, `…/messages`,
/// `…/records?after=N&limit=M`, `…/stream` (Server-Sent Events, resumable with `Last-Event-ID`),
/// `POST …/dead/{message}/resend`, `POST …/claims/{message}/release`, `POST …/compact`,
/// `DELETE /api/pools/{pool}`; pages at `/`, `/pools/{pool}` and `/pools/{pool}/records/{seq}`;
/// `GET /metrics`. Every request passes ``ConsoleOptions``' checks first.
public struct Console: Sendable {
    /// The store the console reads and drives.
    public let store: any PoolStore
    /// How it listens and whom it lets in.
    public let options: ConsoleOptions
    /// Where `/metrics` reads from: the registry the process bootstrapped swift-metrics with.
    public let registry: PrometheusCollectorRegistry
    let metrics: ConsoleMetrics
    let feeds: RecordFeeds

    /// A console over `store`; metrics are reported to, and `/metrics` shows, `registry`.
    public init(store: any PoolStore, options: ConsoleOptions, registry: PrometheusCollectorRegistry) {
        self.store = store
        self.options = options
        self.registry = registry
        metrics = ConsoleMetrics(registry: registry)
        feeds = RecordFeeds(store: store, writeInterval: options.streamWriteInterval, heartbeatInterval: options.streamHeartbeat)
    }

    /// The console's router: the middlewares (metrics, access checks, error mapping) and every route.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(RequestCounting(metrics: metrics))
        router.middlewares.add(AccessGuard(options: options))
        router.middlewares.add(ErrorMapping())
        addAPI(to: router)
        addPages(to: router)
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return router
    }

    /// The application serving ``router()`` on ``options``' host and port.
    ///
    /// - Throws: `invalidInput` when the options are refused (``ConsoleOptions/validate()``).
    public func application(logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws -> some ApplicationProtocol {
        try options.validate()
        return Application(
            router: router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "agentpool"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }

    // MARK: Parsing

    /// The pool id in the path, percent-decoded.
    static func pool(_ context: BasicRequestContext) throws -> PoolID {
        try decoded(context.parameters.require("pool"))
    }

    /// A path parameter, percent-decoded.
    static func decoded(_ raw: String) throws -> String {
        guard let value = raw.removingPercentEncoding else {
            throw AgentPoolError.invalidInput(field: "path", "malformed percent-encoding in '\(raw)'")
        }
        return value
    }

    /// The integer query parameter `name`, nil when absent.
    /// - Throws: `invalidInput` when it is not an integer in `range`.
    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = request.uri.queryParameters[name[...]] else { return nil }
        guard let value = Int64(String(text)), range.contains(value) else {
            throw AgentPoolError.invalidInput(field: name, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }
}

import AgentPool
import Hummingbird

/// The console's response shapes: JSON in the library's own encoding, HTML pages, and errors
/// as `{"error": "<kind>: <message>"}` with the status the error's kind maps to.
enum Responses {
    /// `value` as one JSON document (sorted keys, snake_case: the CLI's encoding).
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let text = try RecordCodec.encodeJSON(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    /// An HTML page.
    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            // why: the pages run only their own inline script; nothing a store value could inject runs.
            .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ], body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    /// `{"error": text}` with `status`.
    static func error(_ status: HTTPResponse.Status, _ text: String) -> Response {
        let body = (try? RecordCodec.encodeJSON(["error": PasswordRedaction.redact(text)])) ?? "{}"
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n")))
    }

    /// The HTTP status for a library error: input and cursors 400, missing 404, conflicts 409,
    /// busy 503, storage 500, a process clock the store refuses (`clockSkew`) 500.
    static func status(for error: AgentPoolError) -> HTTPResponse.Status {
        switch error.kind {
        case .invalidInput, .cursorCompacted: .badRequest
        case .poolNotFound, .notFound: .notFound
        case .notMember, .configConflict, .idempotencyConflict, .invalidStateTransition, .poolExists, .staleClaim: .conflict
        case .busy: .serviceUnavailable
        case .corruptRecord, .unsupportedSchema, .storage, .clockSkew: .internalServerError
        }
    }
}

/// Turns a library error thrown by a route into its JSON error response (the error's
/// `description`, passwords redacted), so that no route handles errors on its own.
struct ErrorMapping<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as AgentPoolError {
            return Responses.error(Responses.status(for: error), error.description)
        }
    }
}

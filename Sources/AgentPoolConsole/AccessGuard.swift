import Hummingbird

/// The console's door: the token (bearer header or login cookie) on every request but the login
/// form, then, for mutations, the Origin and `--read-only`.
///
/// Refusals: no or wrong token → 401 (a login page for a page, JSON for the API); a mutation
/// from another origin, or any mutation under `--read-only` → 403. Nothing behind it runs then.
struct AccessGuard<Context: RequestContext>: RouterMiddleware {
    let options: ConsoleOptions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let isLogin = path == "/login"
        let mutates = request.method != .get && request.method != .head
        if mutates, let origin = request.headers[.origin], !Self.sameOrigin(origin, host: request.head.authority) {
            return Responses.error(.forbidden, "forbidden: origin \(origin) is not this console's; mutations must come from its own pages")
        }
        if let token = options.token, !isLogin, !Self.authorized(request, token: token) {
            if path.hasPrefix("/api/") || path == "/metrics" {
                var response = Responses.error(.unauthorized, "unauthorized: send the console's token as 'Authorization: Bearer TOKEN' or log in at /login")
                response.headers[.wwwAuthenticate] = "Bearer"
                return response
            }
            return Responses.html(Pages.login(next: request.uri.path, failed: false), status: .unauthorized)
        }
        if mutates, !isLogin, options.readOnly {
            return Responses.error(.forbidden, "forbidden: the console runs with --read-only; \(request.method) \(path) changes the store")
        }
        return try await next(request, context)
    }

    /// Whether the request carries the token, as a bearer header or as the login cookie.
    static func authorized(_ request: Request, token: String) -> Bool {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return TokenCheck.matches(String(header.dropFirst("Bearer ".count)), token)
        }
        if let cookie = request.cookies[TokenCheck.cookieName]?.value {
            return TokenCheck.matches(cookie, TokenCheck.cookieValue(token))
        }
        return false
    }

    /// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to.
    static func sameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let range = origin.range(of: "://") else { return false }
        return origin[range.upperBound...] == host[...]
    }
}

import HTTPTypes
import Hummingbird

/// Refuses requests addressed to a host name the monitor does not serve (DNS rebinding).
///
/// A page on `evil.example` whose name an attacker points at 127.0.0.1 reaches a
/// loopback monitor from the victim's browser, with `Host: evil.example`. Without
/// authentication the monitor therefore answers only loopback host names
/// (`localhost`, `*.localhost`, `127.x.x.x`, `[::1]`) and the names given with
/// `--allowed-hosts`. Requests without a Host header (HTTP/1.0 tools) pass: browsers
/// always send one.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Host names accepted besides the loopback ones, lowercased, without ports.
    let allowed: Set<String>

    init(allowed: [String]) {
        self.allowed = Set(allowed.map { $0.lowercased() })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let authority = request.head.authority {
            guard let host = HostName.host(ofAuthority: authority), allows(host) else {
                throw MonitorError.forbidden("host '\(authority)' is not served by this monitor: without --basic-auth it answers only loopback names (localhost, 127.0.0.1, [::1]); add others with --allowed-hosts")
            }
        }
        return try await next(request, context)
    }

    private func allows(_ host: String) -> Bool {
        HostName.isLoopback(host) || allowed.contains(host)
    }
}

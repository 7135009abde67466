import HTTPTypes
import Hummingbird

/// Refuses state-changing requests that a browser sends from another site (CSRF).
///
/// A POST is refused when the browser marks it `Sec-Fetch-Site: cross-site` or
/// `same-site`, or when its `Origin` is not exactly `http(s)://<the Host addressed>`
/// (a malformed Origin such as `http://evil.com://127.0.0.1:PORT` is refused too).
/// Tools like curl send neither header and pass.
struct CrossSiteMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get && request.method != .head else { return try await next(request, context) }
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site == "cross-site" || site == "same-site" {
            throw MonitorError.forbidden("cross-site request refused (Sec-Fetch-Site: \(site))")
        }
        if let origin = request.headers[.origin], origin != "null" {
            let host = (request.head.authority ?? "").lowercased()
            if HostName.authority(ofOrigin: origin) != host || host.isEmpty {
                throw MonitorError.forbidden("cross-site request refused (Origin \(origin) is not \(host))")
            }
        } else if request.headers[.origin] == "null" {
            throw MonitorError.forbidden("cross-site request refused (Origin: null)")
        }
        return try await next(request, context)
    }
}

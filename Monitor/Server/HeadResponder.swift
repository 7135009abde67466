import HTTPTypes
import Hummingbird

/// Answers `HEAD` wherever `GET` is answered: the same status and headers, no body
/// (RFC 9110 §9.3.2). Monitoring probes and `curl -I` use it.
///
/// It wraps the whole router, because the router matches routes by method before any
/// middleware sees the request.
struct HeadResponder<Base: HTTPResponder>: HTTPResponder {
    let base: Base

    func respond(to request: Request, context: Base.Context) async throws -> Response {
        guard request.method == .head else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        let response = try await base.respond(to: Request(head: head, body: request.body), context: context)
        // The body is never written, so an event stream's writer never starts; its length is
        // still announced when known, as GET would.
        var headers = response.headers
        if let length = response.body.contentLength, headers[.contentLength] == nil {
            headers[.contentLength] = String(length)
        }
        return Response(status: response.status, headers: headers, body: ResponseBody())
    }
}

import Foundation
import Hummingbird

/// HTTP basic auth on every page and API route (not `/healthcheck` and `/metrics`, as in Flower).
struct BasicAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let user: String
    let password: String

    /// Paths that stay open for probes and scrapers.
    static var openPaths: Set<String> { ["/healthcheck", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let text = String(data: decoded, encoding: .utf8),
           Self.constantTimeEquals(text, "\(user):\(password)") {
            return try await next(request, context)
        }
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Basic realm=\"taskq\""
        headers[.contentType] = "application/json"
        return Response(status: .unauthorized, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":"authentication required"}"#)))
    }

    /// Compares without leaking where the first difference is.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
        }
        return difference == 0
    }
}

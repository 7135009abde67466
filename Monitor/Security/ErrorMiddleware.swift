import Hummingbird
import TaskQ

/// Turns errors into JSON `{"error": message}` with the right status.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as MonitorError {
            return JSONResponse.error(error.message, status: error.status)
        } catch let error as HTTPError {
            return JSONResponse.error(error.body ?? "\(error.status.reasonPhrase)", status: error.status)
        } catch let error as TaskQError {
            return JSONResponse.error(error.message, status: error.isBrokerFailure ? .serviceUnavailable : .badRequest)
        }
    }
}

/// JSON response helpers.
enum JSONResponse {
    /// A 200 (or `status`) JSON response.
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    /// A JSON object whose members keep the given order (Flower lists tasks as an ordered dict).
    static func orderedObject(_ members: [(String, JSONValue)]) -> Response {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        var seen = Set<String>()
        for (key, value) in members where seen.insert(key).inserted {
            if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
            JSONValue.string(key).write(to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            value.write(to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"error": message}` with a status.
    static func error(_ message: String, status: HTTPResponse.Status) -> Response {
        make(["error": .string(message)], status: status)
    }
}

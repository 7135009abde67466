import Foundation
import Hummingbird
import TaskQ

/// A request's parameters: query string, then form or JSON body (body wins).
struct RequestInput {
    private(set) var values: [String: String] = [:]
    private(set) var json: JSONValue?

    /// Reads the query and, for POSTs, a form-encoded or JSON body (up to 1 MiB).
    init(_ request: Request) async throws {
        var request = request
        for (key, value) in request.uri.queryParameters {
            values[String(key)] = String(value).removingPercentEncoding ?? String(value)
        }
        guard request.method == .post else { return }
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { return }
        let type = request.headers[.contentType] ?? ""
        if type.contains("json") || bytes.first == UInt8(ascii: "{") {
            guard let parsed = try? JSONValue.parse(bytes) else {
                throw MonitorError.badRequest("the request body is not valid JSON")
            }
            json = parsed
            for (key, value) in parsed.objectValue ?? [:] {
                values[key] = value.stringValue ?? value.jsonText
            }
        } else {
            for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                values[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
        }
    }

    subscript(key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    /// An integer parameter, or a 400 naming it.
    func int(_ key: String) throws -> Int? {
        guard let text = self[key] else { return nil }
        guard let value = Int(text) else { throw MonitorError.badRequest("'\(key)' must be a whole number, not '\(text)'") }
        return value
    }

    /// A number parameter, or a 400 naming it.
    func double(_ key: String) throws -> Double? {
        guard let text = self[key] else { return nil }
        guard let value = Double(text) else { throw MonitorError.badRequest("'\(key)' must be a number, not '\(text)'") }
        return value
    }

    /// A boolean parameter (`true`/`1`/`yes`).
    func bool(_ key: String) -> Bool {
        ["true", "1", "yes", "on"].contains((self[key] ?? "").lowercased())
    }

    /// A required parameter, or a 400 naming it.
    func require(_ key: String) throws -> String {
        guard let value = self[key] else { throw MonitorError.badRequest("missing required parameter '\(key)'") }
        return value
    }
}

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
        // The raw query, decoded once here: Hummingbird's `queryParameters` decodes values
        // but not keys, and leaves the `+` that HTML forms send for a space.
        if let query = request.uri.query {
            values = Self.formDecoded(query)
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
            values.merge(Self.formDecoded(String(decoding: bytes, as: UTF8.self))) { _, body in body }
        }
    }

    /// Decodes `application/x-www-form-urlencoded` text (a query string or a form body):
    /// `+` is a space, then percent escapes are decoded, once, in keys and values.
    static func formDecoded(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            values[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return values
    }

    /// A path parameter (`/worker/:name`), percent-decoded.
    ///
    /// Hummingbird matches routes on the raw path and hands parameters over still encoded,
    /// so `/worker/api%40host` would otherwise look up `api%40host`. Every route reads its
    /// parameters through here.
    static func pathParameter(_ name: String, _ context: some RequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
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

import Foundation
import Testing
@testable import TaskQ

@Suite("Envelope writer")
struct EnvelopeWriterTests {
    /// The envelope `TaskMessage.make` would build for the same fields, parsed.
    private func reference(_ fields: EnvelopeWriter.Fields) throws -> JSONValue {
        var message = TaskMessage.make(
            name: fields.name, id: fields.id, args: fields.args, kwargs: fields.kwargs, queue: fields.queue,
            priority: fields.priority, eta: fields.eta, expires: fields.expires, timeLimits: fields.timeLimits,
            ignoreResult: fields.ignoreResult, origin: fields.origin, extraHeaders: fields.extraHeaders)
        message.properties["delivery_tag"] = .string(fields.deliveryTag)
        return try JSONValue.parse(message.envelope())
    }

    /// The body `[args, kwargs, embed]` of a parsed envelope.
    private func body(_ envelope: JSONValue) throws -> JSONValue {
        let text = try #require(envelope["body"]?.stringValue)
        return try JSONValue.parse(Array(try #require(Data(base64Encoded: text))))
    }

    @Test("writes the same envelope as TaskMessage.make, for plain and for every option")
    func matchesMessageMake() throws {
        var plain = EnvelopeWriter.Fields(name: "tasks.add", id: TaskID.make(), deliveryTag: TaskID.make(),
                                          args: [2, 3], kwargs: [:], queue: "celery", origin: "gen1@host")
        var full = plain
        full.name = "tasks.\"quoted\"\n"
        full.args = ["ünï \"cödé\"", .double(1.5), .null, .array([1, .bool(true)])]
        full.kwargs = ["key": .object(["nested": "value"]), "n": 7]
        full.queue = "hi-priority"
        full.priority = 12
        full.eta = Date(timeIntervalSince1970: 1_795_580_790.5)
        full.expires = Date().addingTimeInterval(3_600)
        full.timeLimits = (30, 20.5)
        full.ignoreResult = true
        full.extraHeaders = ["x-trace": "abc", "task": "overridden", "retries": 5]
        plain.args = []
        for fields in [plain, full] {
            let written = try JSONValue.parse(EnvelopeWriter.plainEnvelope(fields))
            var expected = try reference(fields)
            // The expiration is milliseconds from now, computed at each call.
            let writtenExpiry = written["properties"]?["expiration"]?.stringValue.flatMap(Int.init)
            let expectedExpiry = expected["properties"]?["expiration"]?.stringValue.flatMap(Int.init)
            #expect((writtenExpiry == nil) == (expectedExpiry == nil))
            if let writtenExpiry, let expectedExpiry { #expect(abs(writtenExpiry - expectedExpiry) < 5_000) }
            if case .object(var members) = expected, case .object(var properties)? = members["properties"],
               let writtenExpiry {
                properties["expiration"] = .string(String(writtenExpiry))
                members["properties"] = .object(properties)
                expected = .object(members)
            }
            #expect(written["headers"] == expected["headers"])
            #expect(written["properties"] == expected["properties"])
            #expect(try body(written) == body(expected))
            #expect(written["content-type"] == "application/json")
            #expect(written["content-encoding"] == "utf-8")
            let message = try TaskMessage(envelope: EnvelopeWriter.plainEnvelope(fields))
            #expect(message.args == fields.args)
            #expect(message.kwargs == fields.kwargs)
        }
    }

    @Test("base64 matches Foundation's for every length remainder")
    func base64() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var out: [UInt8] = []
            Base64.append(bytes, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString())
        }
    }
}

import Foundation
import Testing
@testable import TaskQ

@Suite("Celery's auth serializer and TaskQ's header signature")
struct SigningTests {
    static func signedReader(headerSignature: Bool = false) throws -> MessageReader {
        MessageReader(accepted: ["auth"], certificates: try FormatFixtures.store(), requiresHeaderSignature: headerSignature)
    }

    @Test("the signer id is Celery's get_id() of the captured certificate")
    func signerID() throws {
        let unpacked = try JSONValue.parse(try FormatFixtures.bytes("auth-unpacked.json"))
        let expected = try #require(unpacked["signer"]?.stringValue)
        #expect(try FormatFixtures.identity().signer == expected)
        #expect(try FormatFixtures.store().certificates.keys.sorted() == [expected])
        #expect(TrustedCertificate.decimal([0x01, 0x00]) == "256")
        #expect(TrustedCertificate.decimal([0x00]) == "0")
    }

    @Test("reads and verifies a message Celery signed (PSS with the longest salt)")
    func readsCelerySigned() throws {
        let message = try TaskMessage(envelope: try FormatFixtures.bytes("envelope-auth.json"), reader: try Self.signedReader())
        #expect(message.name == "tasks.add")
        #expect(message.args == [2, 3])
    }

    @Test("unpacks the captured auth payload field by field")
    func unpacksCaptured() throws {
        let unpacked = try JSONValue.parse(try FormatFixtures.bytes("auth-unpacked.json"))
        let signed = try CelerySignedBody(packed: Array(try #require(unpacked["auth_payload_text"]?.stringValue).utf8))
        #expect(signed.signer == unpacked["signer"]?.stringValue)
        #expect(signed.contentType == "application/json")
        #expect(signed.contentEncoding == "utf-8")
        #expect(String(decoding: signed.body, as: UTF8.self) == unpacked["body_text"]?.stringValue)
        #expect(signed.packed() == Array(try #require(unpacked["auth_payload_text"]?.stringValue).utf8))
    }

    @Test("a signed body whose bytes changed, an unknown signer and an unsigned message are refused")
    func refusals() throws {
        let reader = try Self.signedReader()
        let identity = try FormatFixtures.identity()
        let message = TaskMessage.make(name: "tasks.add", id: "t-1", args: [2, 3], kwargs: [:], queue: "celery", origin: "test")
        let signed = try message.envelope(format: MessageFormat(signing: identity))
        #expect(try TaskMessage(envelope: signed, reader: reader).args == [2, 3])

        var envelope = try JSONValue.parse(signed)
        var packed = try CelerySignedBody(packed: Array(Data(base64Encoded: try #require(envelope["body"]?.stringValue))!))
        packed.body = Array(String(decoding: packed.body, as: UTF8.self).replacing("[2,3]", with: "[2,4]").utf8)
        envelope = Self.replacingBody(of: envelope, with: packed.packed())
        #expect { try TaskMessage(envelope: envelope.serialized(), reader: reader) } throws: { "\($0)".contains("bad signature") }

        packed.signer = "CN Mallory 1"
        envelope = Self.replacingBody(of: envelope, with: packed.packed())
        #expect { try TaskMessage(envelope: envelope.serialized(), reader: reader) } throws: { "\($0)".contains("unknown signer CN Mallory 1") }

        #expect { try TaskMessage(envelope: message.envelope(), reader: reader) } throws: { "\($0)".contains("unsigned message") }
    }

    @Test("an expired certificate is refused by name")
    func expired() throws {
        let store = try FormatFixtures.store()
        let signer = try #require(store.certificates.keys.first)
        let later = Date().addingTimeInterval(20 * 365 * 86_400)
        #expect { try store.certificate(for: signer, at: later) } throws: { "\($0)".contains("has expired") }
    }

    @Test("the header signature catches a changed task name and a stale timestamp")
    func headerSignature() throws {
        let reader = try Self.signedReader(headerSignature: true)
        let identity = try FormatFixtures.identity()
        let message = TaskMessage.make(name: "tasks.add", id: "t-2", args: [2, 3], kwargs: [:], queue: "celery", origin: "test")
        let signed = try message.envelope(format: MessageFormat(signing: identity))
        #expect(try TaskMessage(envelope: signed, reader: reader).name == "tasks.add")

        var renamed = try TaskMessage(envelope: signed, reader: reader)
        renamed.headers["task"] = "tasks.delete_everything"
        // Celery's own check (the body signature) still passes: the body did not change.
        #expect(try TaskMessage(envelope: renamed.envelope(), reader: Self.signedReader()).name == "tasks.delete_everything")
        #expect { try TaskMessage(envelope: renamed.envelope(), reader: reader) } throws: { "\($0)".contains("do not match taskq_signature") }

        let later = Date().addingTimeInterval(reader.replayWindow + 60)
        #expect { try TaskMessage(envelope: signed, reader: reader, now: later) } throws: { "\($0)".contains("replay window") }
        #expect(try TaskMessage(envelope: signed, reader: reader, now: later, redelivered: true).id == "t-2")
    }

    static func replacingBody(of envelope: JSONValue, with packed: [UInt8]) -> JSONValue {
        guard case .object(var top) = envelope else { return envelope }
        top["body"] = .string(Data(packed).base64EncodedString())
        return .object(top)
    }
}

import Foundation
import Testing
@testable import TaskQ
import TaskQYAML

@Suite("Body serializers and compression on captured Celery envelopes")
struct BodyFormatTests {
    static let everything = MessageReader(accepted: ["json", "msgpack", "yaml"], serializers: [.json, .msgpack, .yaml])

    @Test("reads Celery's json, msgpack, yaml, gzip, bzip2 and zstd envelopes", arguments: [
        "envelope-json.json", "envelope-msgpack.json", "envelope-yaml.json",
        "envelope-json-gzip.json", "envelope-json-bzip2.json", "envelope-json-zstd.json",
    ])
    func readsCapturedEnvelopes(_ file: String) throws {
        let message = try TaskMessage(envelope: try FormatFixtures.bytes(file), reader: Self.everything)
        #expect(message.name == "tasks.add")
        #expect(message.args == [2, 3])
        #expect(message.kwargs.isEmpty)
        #expect(message.embed["callbacks"] == .null)
    }

    @Test("a worker that accepts JSON only refuses msgpack and YAML with the reason")
    func refusesUnaccepted() throws {
        for file in ["envelope-msgpack.json", "envelope-yaml.json"] {
            #expect {
                try TaskMessage(envelope: try FormatFixtures.bytes(file))
            } throws: { "\($0)".contains("is not accepted (accept_content: json)") }
        }
    }

    @Test("writes each format so that it reads back", arguments: [Serializer.json, .msgpack, .yaml])
    func roundTrips(_ serializer: Serializer) throws {
        for compression in [nil] + BodyCompression.allCases {
            let message = TaskMessage.make(name: "tasks.echo", id: "id-1", args: [1, 2.5, "héllo ✓", .null, true, ["a": [1, 2]], "007", "yes"],
                                           kwargs: ["n": -3], queue: "celery", origin: "test")
            let envelope = try message.envelope(format: MessageFormat(serializer: serializer, compression: compression))
            let read = try TaskMessage(envelope: envelope, reader: Self.everything)
            #expect(read.args == message.args, "\(serializer.name) \(String(describing: compression))")
            #expect(read.kwargs == message.kwargs)
            #expect(read.headers["compression"]?.stringValue == compression?.headerValue)
        }
    }

    @Test("compression round-trips and names what is wrong with a broken body", arguments: BodyCompression.allCases)
    func compression(_ scheme: BodyCompression) throws {
        let input = Array(String(repeating: "task body ", count: 5_000).utf8)
        let compressed = scheme.compress(input)
        #expect(compressed.count < input.count / 10)
        #expect(try scheme.decompress(compressed) == input)
        #expect(throws: DecompressionError.self) { try scheme.decompress(Array(compressed.prefix(compressed.count / 2))) }
        #expect(throws: DecompressionError.self) { try scheme.decompress(Array(repeating: 0x5a, count: 64)) }
        #expect(throws: DecompressionError.self) { try scheme.decompress([]) }
    }

    @Test("a decompressed body past the size limit is refused")
    func compressionBomb() throws {
        let bomb = BodyCompression.zlib.compress([UInt8](repeating: 0, count: BodyCompression.maximumDecompressedSize + 1))
        #expect { try BodyCompression.zlib.decompress(bomb) } throws: { "\($0)".contains("larger than") }
    }

    @Test("unknown compression and pickle are refused with the reason")
    func refusals() throws {
        var envelope = try JSONValue.parse(try FormatFixtures.bytes("envelope-json-gzip.json"))
        guard case .object(var top) = envelope, case .object(var headers)? = top["headers"] else { return }
        headers["compression"] = "application/x-lzma"
        top["headers"] = .object(headers)
        envelope = .object(top)
        #expect { try TaskMessage(envelope: envelope.serialized()) } throws: { "\($0)".contains("compression 'application/x-lzma' is not supported") }
        top["content-type"] = "application/x-python-serialize"
        headers["compression"] = nil
        top["headers"] = .object(headers)
        #expect { try TaskMessage(envelope: JSONValue.object(top).serialized()) } throws: { "\($0)".contains("pickle bodies are refused") }
    }

    @Test("YAML is written as PyYAML reads it")
    func yamlText() throws {
        let text = String(decoding: try Serializer.yaml.encode([[2, 3], 1e300, "true", .null, ["b": 1, "a": 2]]), as: UTF8.self)
        #expect(text.contains("1.0e+300"))
        #expect(text.contains("'true'"))
        #expect(text.contains("a: 2\n  b: 1"))
        // safe_load refuses Python tags, and so does TaskQ.
        for hostile in ["!!python/object/apply:os.system [ls]\n", "a: !!python/name:os.system\n", "!!binary aGk=\n"] {
            #expect(throws: (any Error).self) { try Serializer.yaml.decode(Array(hostile.utf8)) }
        }
    }
}

import Foundation
import Testing
@testable import TaskQ

@Suite("MessagePack codec against Python's msgpack")
struct MessagePackTests {
    struct Vector {
        let name: String
        let value: JSONValue
        let bytes: [UInt8]
    }

    static func vectors(_ key: String) throws -> [Vector] {
        let file = try JSONValue.parse(try FormatFixtures.bytes("msgpack-vectors.json"))
        return (file[key]?.arrayValue ?? []).map {
            Vector(name: $0["name"]?.stringValue ?? "?", value: $0["json"] ?? .null,
                   bytes: FormatFixtures.hex($0["msgpack_hex"]?.stringValue ?? ""))
        }
    }

    @Test("decodes every vector Python packed")
    func decodesPythonVectors() throws {
        let vectors = try Self.vectors("vectors")
        #expect(vectors.count > 40)
        for vector in vectors {
            #expect(try MessagePack.decode(vector.bytes) == vector.value, "\(vector.name)")
        }
    }

    @Test("encodes scalars and arrays to Python's exact bytes; maps round-trip")
    func encodesLikePython() throws {
        for vector in try Self.vectors("vectors") {
            let encoded = MessagePack.encode(vector.value)
            if Self.hasMultiKeyMap(vector.value) {
                // Python keeps insertion order, a Swift dictionary has none: same value, maybe other order.
                #expect(try MessagePack.decode(encoded) == vector.value, "\(vector.name)")
            } else {
                #expect(encoded == vector.bytes, "\(vector.name)")
            }
        }
    }

    @Test("reads float32 and text bins other packers write")
    func decodeOnly() throws {
        #expect(try MessagePack.decode([0xca, 0x3f, 0xc0, 0x00, 0x00]) == .double(1.5))
        #expect(try MessagePack.decode([0xc4, 0x03, 0x61, 0x62, 0x63]) == .string("abc"))
    }

    @Test("hostile input fails with an error, never a trap")
    func hostile() {
        let cases: [[UInt8]] = [
            [], [0xc1], [0xdb, 0xff, 0xff, 0xff, 0xff], [0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff],
            [0xcd, 0x01], [0x92, 0x01], [0xc4, 0x02, 0xff, 0xfe], [0xd4, 0x01, 0x00], [0x01, 0x02],
            Array(repeating: 0x91, count: 10_000) + [0x00],
        ]
        for bytes in cases {
            #expect(throws: MessagePackError.self) { try MessagePack.decode(bytes) }
        }
    }

    static func hasMultiKeyMap(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members): return members.count > 1 || members.values.contains(where: hasMultiKeyMap)
        case .array(let items): return items.contains(where: hasMultiKeyMap)
        default: return false
        }
    }
}

/// A cursor over MessagePack bytes that checks every length against what is left
/// before it reads or allocates, so hostile input fails with an error and never traps.
struct MessagePackReader {
    /// Deeper nesting than this is refused (the JSON parser's limit too).
    static let maximumDepth = 512

    let bytes: [UInt8]
    private(set) var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ reason: String) -> MessagePackError { MessagePackError(offset: offset, reason: reason) }

    mutating func readValue(depth: Int) throws -> JSONValue {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        let marker = try readByte()
        switch marker {
        case 0x00...0x7f: return .int(Int(marker))
        case 0x80...0x8f: return try readMap(count: Int(marker & 0x0f), depth: depth)
        case 0x90...0x9f: return try readArray(count: Int(marker & 0x0f), depth: depth)
        case 0xa0...0xbf: return .string(try readText(count: Int(marker & 0x1f)))
        case 0xc0: return .null
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4: return .string(try readText(count: Int(try readUnsigned(UInt8.self)), binary: true))
        case 0xc5: return .string(try readText(count: Int(try readUnsigned(UInt16.self)), binary: true))
        case 0xc6: return .string(try readText(count: Int(try readUnsigned(UInt32.self)), binary: true))
        case 0xc7, 0xc8, 0xc9, 0xd4...0xd8: throw error("ext type 0x\(String(marker, radix: 16)) has no JSON form")
        case 0xca: return .double(Double(Float(bitPattern: try readUnsigned(UInt32.self))))
        case 0xcb: return .double(Double(bitPattern: try readUnsigned(UInt64.self)))
        case 0xcc: return .int(Int(try readUnsigned(UInt8.self)))
        case 0xcd: return .int(Int(try readUnsigned(UInt16.self)))
        case 0xce: return .int(Int(try readUnsigned(UInt32.self)))
        case 0xcf:
            let value = try readUnsigned(UInt64.self)
            // Past Int.max only a float can hold it, as Python's json would give a float too.
            return value <= UInt64(Int.max) ? .int(Int(value)) : .double(Double(value))
        case 0xd0: return .int(Int(Int8(bitPattern: try readUnsigned(UInt8.self))))
        case 0xd1: return .int(Int(Int16(bitPattern: try readUnsigned(UInt16.self))))
        case 0xd2: return .int(Int(Int32(bitPattern: try readUnsigned(UInt32.self))))
        case 0xd3: return .int(Int(Int64(bitPattern: try readUnsigned(UInt64.self))))
        case 0xd9: return .string(try readText(count: Int(try readUnsigned(UInt8.self))))
        case 0xda: return .string(try readText(count: Int(try readUnsigned(UInt16.self))))
        case 0xdb: return .string(try readText(count: Int(try readUnsigned(UInt32.self))))
        case 0xdc: return try readArray(count: Int(try readUnsigned(UInt16.self)), depth: depth)
        case 0xdd: return try readArray(count: Int(try readUnsigned(UInt32.self)), depth: depth)
        case 0xde: return try readMap(count: Int(try readUnsigned(UInt16.self)), depth: depth)
        case 0xdf: return try readMap(count: Int(try readUnsigned(UInt32.self)), depth: depth)
        case 0xe0...0xff: return .int(Int(Int8(bitPattern: marker)))
        default: throw error("0xc1 is never used")
        }
    }

    private mutating func readByte() throws -> UInt8 {
        guard offset < bytes.count else { throw error("truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func readUnsigned<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - offset >= size else { throw error("truncated") }
        var value: T = 0
        for index in offset ..< offset + size { value = value << 8 | T(bytes[index]) }
        offset += size
        return value
    }

    private mutating func readText(count: Int, binary: Bool = false) throws -> String {
        guard bytes.count - offset >= count else { throw error("truncated") }
        let slice = bytes[offset ..< offset + count]
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw error(binary ? "bin value is not UTF-8 text (JSON bodies cannot hold bytes)" : "str value is not UTF-8")
        }
        offset += count
        return text
    }

    private mutating func readArray(count: Int, depth: Int) throws -> JSONValue {
        // Every element takes at least one byte: a larger count cannot be honest.
        guard count <= bytes.count - offset else { throw error("array of \(count) longer than the input") }
        var items: [JSONValue] = []
        items.reserveCapacity(count)
        for _ in 0 ..< count { items.append(try readValue(depth: depth + 1)) }
        return .array(items)
    }

    private mutating func readMap(count: Int, depth: Int) throws -> JSONValue {
        guard count <= (bytes.count - offset) / 2 else { throw error("map of \(count) longer than the input") }
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(count)
        for _ in 0 ..< count {
            let key: String
            switch try readValue(depth: depth + 1) {
            case .string(let text): key = text
            case .int(let number): key = String(number)
            case .bool(let flag): key = flag ? "true" : "false"
            case .null: key = "null"
            default: throw error("map key is not a string or number")
            }
            members[key] = try readValue(depth: depth + 1)
        }
        return .object(members)
    }
}

/// MessagePack, the binary body format kombu writes for `serializer='msgpack'`
/// (`msgpack.packb(value, use_bin_type=True)`, read back with `raw=False`).
///
/// Values map onto ``JSONValue`` one to one except where MessagePack is wider:
/// `bin` and `ext` payloads, non-string map keys and float32 are read (text bins
/// as strings, float32 widened, integer keys as their decimal text) but never written.
package enum MessagePack {
    /// The content type kombu registers for the format.
    package static let contentType = "application/x-msgpack"

    /// `value` in the shortest encoding MessagePack allows for each part, as Python's packer writes it.
    package static func encode(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        write(value, to: &output)
        return output
    }

    /// Reads one complete value; trailing bytes, truncation and nesting deeper than
    /// ``MessagePackReader/maximumDepth`` are errors.
    package static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        var reader = MessagePackReader(bytes: bytes)
        let value = try reader.readValue(depth: 0)
        guard reader.offset == bytes.count else {
            throw MessagePackError(offset: reader.offset, reason: "\(bytes.count - reader.offset) bytes after the value")
        }
        return value
    }

    private static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: output.append(0xc0)
        case .bool(let flag): output.append(flag ? 0xc3 : 0xc2)
        case .int(let number): writeInteger(number, to: &output)
        case .double(let number):
            output.append(0xcb)
            appendBigEndian(number.bitPattern, to: &output)
        case .string(let text):
            let utf8 = Array(text.utf8)
            writeHeader(count: utf8.count, fix: 0xa0, fixLimit: 32, sizes: (0xd9, 0xda, 0xdb), to: &output)
            output.append(contentsOf: utf8)
        case .array(let items):
            writeHeader(count: items.count, fix: 0x90, fixLimit: 16, sizes: (nil, 0xdc, 0xdd), to: &output)
            for item in items { write(item, to: &output) }
        case .object(let members):
            writeHeader(count: members.count, fix: 0x80, fixLimit: 16, sizes: (nil, 0xde, 0xdf), to: &output)
            for (key, member) in members {
                write(.string(key), to: &output)
                write(member, to: &output)
            }
        }
    }

    private static func writeInteger(_ number: Int, to output: inout [UInt8]) {
        switch number {
        case 0...0x7f: output.append(UInt8(number))
        case -32 ..< 0: output.append(UInt8(bitPattern: Int8(number)))
        case 0x80...0xff: output += [0xcc, UInt8(number)]
        case 0x100...0xffff: output.append(0xcd); appendBigEndian(UInt16(number), to: &output)
        case 0x1_0000...0xffff_ffff: output.append(0xce); appendBigEndian(UInt32(number), to: &output)
        case 0x1_0000_0000...: output.append(0xcf); appendBigEndian(UInt64(number), to: &output)
        case -0x80 ..< -32: output += [0xd0, UInt8(bitPattern: Int8(number))]
        case -0x8000 ..< -0x80: output.append(0xd1); appendBigEndian(UInt16(bitPattern: Int16(number)), to: &output)
        case -0x8000_0000 ..< -0x8000: output.append(0xd2); appendBigEndian(UInt32(bitPattern: Int32(number)), to: &output)
        default: output.append(0xd3); appendBigEndian(UInt64(bitPattern: Int64(number)), to: &output)
        }
    }

    /// A string, array or map header: the fix form below `fixLimit`, then 8-, 16- or 32-bit counts.
    private static func writeHeader(count: Int, fix: UInt8, fixLimit: Int, sizes: (UInt8?, UInt8, UInt8),
                                    to output: inout [UInt8]) {
        if count < fixLimit {
            output.append(fix | UInt8(count))
        } else if let eightBit = sizes.0, count <= 0xff {
            output += [eightBit, UInt8(count)]
        } else if count <= 0xffff {
            output.append(sizes.1)
            appendBigEndian(UInt16(count), to: &output)
        } else {
            output.append(sizes.2)
            appendBigEndian(UInt32(count), to: &output)
        }
    }

    private static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to output: inout [UInt8]) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { output.append(contentsOf: $0) }
    }
}

/// Why a MessagePack body could not be read, with the byte offset where reading stopped.
package struct MessagePackError: Error, CustomStringConvertible, Sendable {
    package let offset: Int
    package let reason: String
    package var description: String { "msgpack: \(reason) at byte \(offset)" }
}

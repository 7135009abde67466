import FoundationEssentials

extension JSONValue: CustomStringConvertible {
    /// The value as JSON text, as `jsonText` writes it (so `print(value)` shows JSON).
    public var description: String { jsonText }

    /// The value as compact JSON text (Python's `json.dumps` spacing is not needed by any reader),
    /// object members in no particular order: the fast form for the wire.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        write(to: &output, sortingKeys: false)
        return output
    }

    /// The value as compact JSON text in a `String`, object members sorted by key (for people
    /// and logs: the same value always reads the same).
    public var jsonText: String {
        var output: [UInt8] = []
        write(to: &output, sortingKeys: true)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the JSON text of this value to `output`; `sortingKeys` orders object members.
    public func write(to output: inout [UInt8], sortingKeys: Bool = false) {
        switch self {
        case .null: output.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let flag): output.append(contentsOf: flag ? Array("true".utf8) : Array("false".utf8))
        case .int(let number): output.append(contentsOf: String(number).utf8)
        case .double(let number):
            if number.isNaN {
                output.append(contentsOf: "NaN".utf8)
            } else if number.isInfinite {
                output.append(contentsOf: (number < 0 ? "-Infinity" : "Infinity").utf8)
            } else if number.rounded() == number && abs(number) < 1e15 {
                output.append(contentsOf: "\(Int(number)).0".utf8)
            } else {
                output.append(contentsOf: "\(number)".utf8)
            }
        case .string(let text): JSONValue.writeString(text, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output, sortingKeys: sortingKeys)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            var first = true
            if sortingKeys {
                for key in members.keys.sorted() {
                    if !first { output.append(UInt8(ascii: ",")) }
                    first = false
                    JSONValue.writeString(key, to: &output)
                    output.append(UInt8(ascii: ":"))
                    members[key]!.write(to: &output, sortingKeys: true)
                }
            } else {
                for (key, member) in members {
                    if !first { output.append(UInt8(ascii: ",")) }
                    first = false
                    JSONValue.writeString(key, to: &output)
                    output.append(UInt8(ascii: ":"))
                    member.write(to: &output, sortingKeys: false)
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    package static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them whole, scanning their UTF-8 in place.
        let copiedWhole: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            output.append(contentsOf: bytes)
            return true
        }
        if copiedWhole == true {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

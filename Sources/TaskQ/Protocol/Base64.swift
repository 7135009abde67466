/// Standard base64 (RFC 4648, with padding), appended to a byte buffer.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends the base64 text of `bytes` to `out`.
    package static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        alphabet.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { input in
                var index = 0
                let count = input.count
                while index + 3 <= count {
                    let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                    out.append(table[Int(chunk >> 18 & 0x3F)])
                    out.append(table[Int(chunk >> 12 & 0x3F)])
                    out.append(table[Int(chunk >> 6 & 0x3F)])
                    out.append(table[Int(chunk & 0x3F)])
                    index += 3
                }
                let rest = count - index
                if rest == 1 {
                    let chunk = UInt32(input[index]) << 16
                    out.append(table[Int(chunk >> 18 & 0x3F)])
                    out.append(table[Int(chunk >> 12 & 0x3F)])
                    out.append(contentsOf: "==".utf8)
                } else if rest == 2 {
                    let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                    out.append(table[Int(chunk >> 18 & 0x3F)])
                    out.append(table[Int(chunk >> 12 & 0x3F)])
                    out.append(table[Int(chunk >> 6 & 0x3F)])
                    out.append(UInt8(ascii: "="))
                }
            }
        }
    }
}

/// Standard base64 (RFC 4648, with padding), appended to a byte buffer.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends the base64 text of `bytes` to `out`.
    package static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        let start = out.count
        let length = (bytes.count + 2) / 3 * 4
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: length))
        alphabet.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    var read = 0
                    var write = start
                    let count = input.count
                    while read + 3 <= count {
                        let chunk = UInt32(input[read]) << 16 | UInt32(input[read + 1]) << 8 | UInt32(input[read + 2])
                        output[write] = table[Int(chunk >> 18 & 0x3F)]
                        output[write + 1] = table[Int(chunk >> 12 & 0x3F)]
                        output[write + 2] = table[Int(chunk >> 6 & 0x3F)]
                        output[write + 3] = table[Int(chunk & 0x3F)]
                        read += 3
                        write += 4
                    }
                    // The last 1 or 2 bytes: 2 or 3 characters, the rest stays '=' padding.
                    let rest = count - read
                    if rest > 0 {
                        let second = rest == 2 ? UInt32(input[read + 1]) << 8 : 0
                        let chunk = UInt32(input[read]) << 16 | second
                        output[write] = table[Int(chunk >> 18 & 0x3F)]
                        output[write + 1] = table[Int(chunk >> 12 & 0x3F)]
                        if rest == 2 { output[write + 2] = table[Int(chunk >> 6 & 0x3F)] }
                    }
                }
            }
        }
    }
}

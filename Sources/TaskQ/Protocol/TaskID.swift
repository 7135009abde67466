/// Random ids in UUID version 4 form, lowercase, as Celery writes task ids and delivery tags.
///
/// Drawn from the system generator (`getrandom`), without Foundation's `UUID()`,
/// which opens and reads `/dev/urandom` on every call on Linux.
package enum TaskID {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A new random id, e.g. `"3f2b8c1e-9d4a-4b7e-8a21-5c6d7e8f9a0b"`.
    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000   // version 4
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000     // RFC 4122 variant
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, word) in [high, low].enumerated() {
            for nibble in 0..<16 {
                let position = index * 16 + nibble
                if position == 8 || position == 12 || position == 16 || position == 20 { text.append(UInt8(ascii: "-")) }
                text.append(hexDigits[Int((word >> UInt64(60 - nibble * 4)) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Random ids in UUID version 4 form, lowercase, as Celery writes task ids and delivery tags.
///
/// Drawn from the system generator (`getrandom`, through glibc's `arc4random_buf`), without Foundation's `UUID()`,
/// which opens and reads `/dev/urandom` on every call on Linux. The bytes come in
/// blocks of 4 KiB, one system call per 256 ids rather than two per id (a batch
/// send makes two ids per message).
package enum TaskID {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Random bytes not handed out yet.
    private static let pool = Mutex(RandomPool())

    private struct RandomPool: ~Copyable {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var next = 4096

        /// The next 16 random bytes as two words, refilling the block when it runs out.
        mutating func take() -> (UInt64, UInt64) {
            if next + 16 > bytes.count {
                // glibc's arc4random_buf is one getrandom call for the whole block.
                bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                next = 0
            }
            defer { next += 16 }
            return bytes.withUnsafeBytes {
                ($0.loadUnaligned(fromByteOffset: next, as: UInt64.self), $0.loadUnaligned(fromByteOffset: next + 8, as: UInt64.self))
            }
        }
    }

    /// A new random id, e.g. `"3f2b8c1e-9d4a-4b7e-8a21-5c6d7e8f9a0b"`.
    package static func make() -> String {
        var (high, low) = pool.withLock { $0.take() }
        high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000   // version 4
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000     // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { text in
            var position = 0
            for (index, word) in [high, low].enumerated() {
                for nibble in 0..<16 {
                    let place = index * 16 + nibble
                    if place == 8 || place == 12 || place == 16 || place == 20 {
                        text[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    text[position] = hexDigits[Int((word >> UInt64(60 - nibble * 4)) & 0xF)]
                    position += 1
                }
            }
            return position
        }
    }
}

import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes frames to a file descriptor, one writer at a time.
package final class FrameWriter: Sendable {
    private let descriptor: Int32
    /// Serialises writes from several tasks.
    private let writing = Mutex(())

    /// Wraps a writable descriptor (a pipe).
    package init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Writes one frame completely; returns false when the other side has gone.
    @discardableResult
    package func send(_ value: JSONValue) -> Bool {
        send(encoded: Frame.encode(value))
    }

    /// Writes one frame already encoded by `Frame.encode`; returns false when the other side has gone.
    @discardableResult
    package func send(encoded bytes: [UInt8]) -> Bool {
        writing.withLock { _ in
            bytes.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += written
                }
                return true
            }
        }
    }

    /// Closes the descriptor.
    package func close() {
        writing.withLock { _ in _ = Glibc.close(descriptor) }
    }
}

import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Writes frames to a file descriptor, one writer at a time.
package final class FrameWriter: @unchecked Sendable {
    private let descriptor: Int32
    // Serialises writes from several tasks.
    private let lock = PosixLock()

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
        lock.withLock {
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
        lock.withLock { _ = Glibc.close(descriptor) }
    }
}

/// Reads frames from a file descriptor on a dedicated thread.
package enum FrameListener {
    /// Starts a thread that calls `onFrame` for each frame and `onEnd` at EOF or error.
    package static func start(descriptor: Int32, name: String,
                              onFrame: @escaping @Sendable (JSONValue) -> Void,
                              onEnd: @escaping @Sendable (String?) -> Void) {
        PosixThread.start(name: name) {
            var reader = FrameReader()
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    onEnd(count < 0 ? String(cString: strerror(errno)) : nil)
                    return
                }
                chunk.withUnsafeBytes { reader.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                do {
                    while let frame = try reader.next() { onFrame(frame) }
                } catch {
                    onEnd("unreadable frame: \(error)")
                    return
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A self-pipe that wakes a thread sleeping in `poll`.
///
/// A thread polls `descriptor` beside its sockets or pipes; any other thread calls
/// `wake()`. Both ends are non-blocking: when the pipe is full it is already readable,
/// so a wake-up that does not fit is not needed. Closed when the last owner lets go.
package final class WakePipe: Sendable {
    /// The end to poll for `POLLIN`.
    package let descriptor: Int32
    private let writeEnd: Int32

    /// A new pipe, both ends close-on-exec.
    package init() {
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        descriptor = ends[0]
        writeEnd = ends[1]
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    /// Makes `descriptor` readable; callable from any thread.
    package func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Reads every pending wake-up, so the next `poll` sleeps again.
    package func drain() {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(descriptor, &sink, sink.count) > 0 {}
    }
}

import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A pool child's own thread: it reads the worker's frames and runs the tasks they start.
///
/// The loop is a `TaskExecutor`: task bodies started with it as their executor
/// preference run on this thread, between reads of the frame pipe. A frame that
/// arrives while the thread is awake is read and its task begun without any
/// thread waking another, which otherwise costs more than a short task's run.
///
/// Frames come first: after each job the loop reads what the pipe holds, so a
/// `drop` for a queued task is seen before that task's turn. A task that
/// suspends (`Task.sleep`, a Redis call) is resumed here when the thread it
/// waited on enqueues it: the enqueue wakes the loop through a pipe when it is
/// asleep in `poll`.
package final class ChildLoop: TaskExecutor, @unchecked Sendable {
    // Safe: `queue` and `sleeping` are only touched while holding `lock`; the rest
    // belongs to the loop's thread.
    private let lock = PosixLock()
    private var queue: [UnownedJob] = []
    private var sleeping = false
    private let input: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32

    /// A loop reading frames from `input` (made non-blocking).
    package init(input: Int32) {
        self.input = input
        var ends: [Int32] = [0, 0]
        _ = pipe(&ends)
        wakeRead = ends[0]
        wakeWrite = ends[1]
        for descriptor in [input, wakeRead] {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
    }

    /// Queues a job of a task that prefers this executor; called from any thread.
    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wake: Bool = lock.withLock {
            queue.append(job)
            defer { sleeping = false }
            return sleeping
        }
        if wake {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    /// Starts the loop on a thread of its own.
    ///
    /// `onFrame` is called on the loop's thread for each frame; `onEnd` once, when the
    /// worker closes the pipe or sends something unreadable. Jobs keep running after that.
    package func start(onFrame: @escaping @Sendable (JSONValue) -> Void, onEnd: @escaping @Sendable (String?) -> Void) {
        PosixThread.start(name: "taskq.child.loop") { [self] in self.run(onFrame: onFrame, onEnd: onEnd) }
    }

    private func run(onFrame: (JSONValue) -> Void, onEnd: (String?) -> Void) {
        var reader = FrameReader()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var inputOpen = true
        let executor = asUnownedTaskExecutor()
        while true {
            if inputOpen {
                inputOpen = readFrames(into: &reader, chunk: &chunk, onFrame: onFrame, onEnd: onEnd)
            }
            let next: UnownedJob? = lock.withLock {
                if queue.isEmpty {
                    sleeping = true
                    return nil
                }
                return queue.removeFirst()
            }
            if let next {
                next.runSynchronously(on: executor)
                continue
            }
            var descriptors = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            if inputOpen { descriptors.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&descriptors, nfds_t(descriptors.count), -1)
            var sink = [UInt8](repeating: 0, count: 64)
            if descriptors[0].revents != 0 { while read(wakeRead, &sink, sink.count) > 0 {} }
            lock.withLock { sleeping = false }
        }
    }

    /// Reads and handles every frame the pipe holds now; false once the pipe has ended.
    private func readFrames(into reader: inout FrameReader, chunk: inout [UInt8],
                            onFrame: (JSONValue) -> Void, onEnd: (String?) -> Void) -> Bool {
        while true {
            let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return true }
                onEnd(String(cString: strerror(errno)))
                return false
            }
            if count == 0 {
                onEnd(nil)
                return false
            }
            chunk.withUnsafeBytes { reader.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            do {
                while let frame = try reader.next() { onFrame(frame) }
            } catch {
                onEnd("unreadable frame: \(error)")
                return false
            }
        }
    }
}

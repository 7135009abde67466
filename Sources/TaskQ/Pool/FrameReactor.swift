import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread that reads frame pipes and runs the jobs of the tasks that prefer it.
///
/// It is a `TaskExecutor`: a task started with it as executor preference runs
/// on the reactor's thread, between reads of the pipes it watches. A frame read
/// here and handed to such a task (a continuation resumed, a stream yielded to)
/// runs next on the same thread, with no thread waking another, which otherwise
/// costs more than handling the frame.
///
/// Frames come first: before each job the reactor reads whatever the pipes hold,
/// so a frame that arrived meanwhile is seen before the next job runs. Jobs
/// enqueued from other threads wake the reactor through a pipe when it sleeps
/// in `poll`. Pool children run task bodies on one (`ChildServer`); the worker
/// runs its event loop on one and reads its children's frames there.
package final class FrameReactor: TaskExecutor, Sendable {
    /// Called on the reactor's thread for each frame of a source.
    package typealias FrameHandler = (JSONValue) -> Void
    /// Called on the reactor's thread once, when a source's pipe ends or sends something
    /// unreadable (with the reason); the reactor stops watching it but does not close it.
    package typealias EndHandler = (String?) -> Void

    /// A pipe given to `watch`, waiting for the reactor's thread to take it on.
    private struct Arrival: Sendable {
        let descriptor: Int32
        let onFrame: @Sendable (JSONValue) -> Void
        let onEnd: @Sendable (String?) -> Void
    }

    /// A pipe the reactor's thread watches, with what it has read of the next frame.
    private final class Source {
        let descriptor: Int32
        var reader = FrameReader()
        let onFrame: FrameHandler
        let onEnd: EndHandler

        init(_ arrival: Arrival) {
            descriptor = arrival.descriptor
            onFrame = arrival.onFrame
            onEnd = arrival.onEnd
        }
    }

    /// What other threads hand to the reactor's thread.
    private struct Inbox {
        var queue: [UnownedJob] = []
        var sleeping = false
        var arriving: [Arrival] = []
    }

    private let inbox = Mutex(Inbox())
    private let wakeUp = WakePipe()

    /// A reactor; `start(name:)` gives it its thread.
    package init() {}

    /// Starts the reactor's thread; it runs for the life of the process.
    package func start(name: String) {
        PosixThread.start(name: name) { [self] in self.run() }
    }

    /// Watches `descriptor` (made non-blocking) for frames; callable from any thread.
    ///
    /// The handlers run on the reactor's thread; they may be called from a task that
    /// prefers this reactor, or from a thread of their own, so they must be `Sendable`.
    package func watch(_ descriptor: Int32, onFrame: @escaping @Sendable (JSONValue) -> Void,
                       onEnd: @escaping @Sendable (String?) -> Void) {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        let arrival = Arrival(descriptor: descriptor, onFrame: onFrame, onEnd: onEnd)
        inbox.withLock { $0.arriving.append(arrival) }
        wakeUp.wake()
    }

    /// Queues a job of a task that prefers this reactor; called from any thread.
    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let mustWake: Bool = inbox.withLock { inbox in
            inbox.queue.append(job)
            defer { inbox.sleeping = false }
            return inbox.sleeping
        }
        if mustWake { wakeUp.wake() }
    }

    /// The reactor's thread: `sources` and `chunk` belong to it alone.
    private func run() {
        let executor = asUnownedTaskExecutor()
        var sources: [Source] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let (next, newcomers): (UnownedJob?, [Arrival]) = inbox.withLock { inbox in
                let newcomers = inbox.arriving
                inbox.arriving.removeAll()
                return (inbox.queue.isEmpty ? nil : inbox.queue.removeFirst(), newcomers)
            }
            for arrival in newcomers { sources.append(Source(arrival)) }
            readSources(&sources, chunk: &chunk, waiting: false)
            if let next {
                next.runSynchronously(on: executor)
                continue
            }
            let idle: Bool = inbox.withLock { inbox in
                guard inbox.queue.isEmpty && inbox.arriving.isEmpty else { return false }
                inbox.sleeping = true
                return true
            }
            if idle {
                readSources(&sources, chunk: &chunk, waiting: true)
                inbox.withLock { $0.sleeping = false }
            }
        }
    }

    /// Reads every frame the watched pipes hold; with `waiting`, first sleeps in `poll`
    /// until a pipe or the wake-up pipe has something.
    private func readSources(_ sources: inout [Source], chunk: inout [UInt8], waiting: Bool) {
        if sources.isEmpty && !waiting { return }
        var descriptors = [pollfd(fd: wakeUp.descriptor, events: Int16(POLLIN), revents: 0)]
        for source in sources { descriptors.append(pollfd(fd: source.descriptor, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&descriptors, nfds_t(descriptors.count), waiting ? -1 : 0)
        guard ready > 0 else { return }
        if descriptors[0].revents != 0 { wakeUp.drain() }
        var ended: [ObjectIdentifier] = []
        for (index, source) in sources.enumerated() where descriptors[index + 1].revents != 0 {
            if !drain(source, chunk: &chunk) { ended.append(ObjectIdentifier(source)) }
        }
        if !ended.isEmpty { sources.removeAll { ended.contains(ObjectIdentifier($0)) } }
    }

    /// Reads and hands over what `source` holds now; false once its pipe has ended.
    private func drain(_ source: Source, chunk: inout [UInt8]) -> Bool {
        while true {
            let count = chunk.withUnsafeMutableBytes { read(source.descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return true }
                source.onEnd(String(cString: strerror(errno)))
                return false
            }
            if count == 0 {
                source.onEnd(nil)
                return false
            }
            chunk.withUnsafeBytes { source.reader.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            do {
                while let frame = try source.reader.next() { source.onFrame(frame) }
            } catch {
                source.onEnd("unreadable frame: \(error)")
                return false
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Dedicated OS threads, started with pthreads.
///
/// Used instead of Foundation's `Thread` so that a pool child and the worker never
/// start CoreFoundation, which alone adds about 3 MB to each process.
package enum PosixThread {
    /// Starts a detached thread named `name` (at most 15 bytes are kept) running `body`.
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, runThreadStart, start)
        precondition(status == 0, "cannot start thread \(name): pthread_create returned \(status)")
        pthread_detach(thread)
    }

    /// Blocks the calling thread (a dedicated one, never the cooperative pool) for `seconds`.
    package static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}

/// What a new thread runs, handed to it through `pthread_create`'s argument.
private final class ThreadStart: Sendable {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }

    /// Names the calling thread for `top -H`, gdb and /proc (the kernel keeps 15 bytes).
    func nameCurrentThread() {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }
}

/// The entry point of every `PosixThread`.
private func runThreadStart(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let start = Unmanaged<ThreadStart>.fromOpaque(argument!).takeRetainedValue()
    start.nameCurrentThread()
    start.body()
    return nil
}

import Dispatch
import FoundationEssentials
import Synchronization
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// One pool child: the app's executable started with `TASKQ_CHILD=1`, spoken to in frames.
///
/// Started with `posix_spawn` in a process group of its own (a terminal's Ctrl-C
/// reaches the worker, which decides what the children do), with default signal
/// dispositions, an empty signal mask and only stdin, stdout and stderr open.
/// A thread per child waits for its exit. The child asks the kernel to kill it when
/// the thread that spawned it ends (`PR_SET_PDEATHSIG`), so a SIGKILLed supervisor
/// leaves no child running a task a restarted worker will run again: children are
/// spawned on the worker's event-loop thread, which lives as long as the worker.
final class ChildProcess: Sendable {
    /// The worker's number for this child (stable for its lifetime).
    let number: Int
    /// The child's process id.
    let pid: Int32
    private let writer: FrameWriter

    /// Starts the child; its frames are read on `reactor`'s thread and handed to `onFrame`;
    /// `onExit` is called from another thread.
    init(number: Int, executable: String, environment: [String: String], reactor: FrameReactor,
         onFrame: @escaping @Sendable (JSONValue) -> Void,
         onExit: @escaping @Sendable (Int32, Bool) -> Void) throws {
        self.number = number
        var childEnvironment = ProcessInfo.processInfo.environment
        childEnvironment.merge(environment) { _, new in new }
        childEnvironment["TASKQ_CHILD"] = "1"
        // The child checks it still has this parent once it has asked to die with it.
        childEnvironment["TASKQ_SUPERVISOR_PID"] = String(getpid())
        if childEnvironment["SWIFT_BACKTRACE"] == nil { childEnvironment["SWIFT_BACKTRACE"] = "enable=no" }
        let toChild = try Self.closeOnExecPipe(for: number)
        let fromChild: [Int32]
        do {
            fromChild = try Self.closeOnExecPipe(for: number)
        } catch {
            close(toChild[0])
            close(toChild[1])
            throw error
        }
        let spawned = Self.spawn(executable, environment: childEnvironment, stdin: toChild[0], stdout: fromChild[1])
        close(toChild[0])
        close(fromChild[1])
        guard case .success(let pid) = spawned else {
            close(toChild[1])
            close(fromChild[0])
            if case .failure(let error) = spawned { throw error }
            throw WorkerError("cannot start \(executable)")
        }
        self.pid = pid
        writer = FrameWriter(descriptor: toChild[1])
        let exit = ExitReport(onExit)
        let output = fromChild[0]
        reactor.watch(output, onFrame: onFrame, onEnd: { _ in
            close(output)
            exit.framesEnded()
        })
        PosixThread.start(name: "taskq.child\(number).wait") {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            // WIFSIGNALED / WTERMSIG / WEXITSTATUS, spelled out (the C macros do not import).
            let signal = status & 0x7F
            let signaled = signal != 0 && signal != 0x7F
            exit.processEnded(status: signaled ? signal : (status >> 8) & 0xFF, signaled: signaled)
        }
    }

    deinit { writer.close() }

    private static func spawn(_ executable: String, environment: [String: String], stdin: Int32, stdout: Int32) -> Result<Int32, WorkerError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        // Redis sockets and other descriptors the worker holds stay out of the child.
        for descriptor in openDescriptors() where descriptor > 2 && descriptor != stdin && descriptor != stdout {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        posix_spawn_file_actions_addclose(&actions, stdin)
        posix_spawn_file_actions_addclose(&actions, stdout)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
        let variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments + variables { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, arguments, variables)
        guard status == 0 else {
            return .failure(WorkerError("cannot start \(executable): \(String(cString: strerror(status)))"))
        }
        return .success(pid)
    }

    /// A pipe whose both ends close on exec (the child gets its copies through dup2).
    private static func closeOnExecPipe(for number: Int) throws -> [Int32] {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            throw WorkerError("cannot make a pipe for child \(number): \(String(cString: strerror(errno)))")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return ends
    }

    /// The descriptors open in this process, from /proc/self/fd.
    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var found: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let descriptor = Int32(name), descriptor != own { found.append(descriptor) }
        }
        return found
    }

    /// Sends a frame already encoded by `Frame.encode`; false when the child has gone.
    @discardableResult
    func send(encoded frame: [UInt8]) -> Bool { writer.send(encoded: frame) }

    /// Kills the child at once (hard time limit, terminate, cold shutdown).
    func kill(signal: Int32 = SIGKILL) {
        _ = Glibc.kill(pid, signal)
    }

    /// Asks the child to finish its tasks and exit.
    func requestShutdown() {
        send(encoded: ToChild.shutdown.encoded)
    }

    /// The child's resident memory in KiB, read from /proc.
    var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}

/// Reports a child's exit only after its last frames: the process end and the end of its
/// frame pipe come on different threads, and a `done` frame still in the pipe must be
/// handled before the exit (or a task that finished would count as lost).
private final class ExitReport: Sendable {
    private struct Progress {
        var status: (code: Int32, signaled: Bool)?
        var framesDone = false
        var reported = false
    }

    private let progress = Mutex(Progress())
    private let report: @Sendable (Int32, Bool) -> Void

    /// How long the exit waits for the pipe to close (a grandchild may still hold it open).
    static let pipeGrace = 2.0

    init(_ report: @escaping @Sendable (Int32, Bool) -> Void) { self.report = report }

    func processEnded(status code: Int32, signaled: Bool) {
        progress.withLock { $0.status = (code, signaled) }
        fireIfReady(force: false)
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.pipeGrace) { self.fireIfReady(force: true) }
    }

    func framesEnded() {
        progress.withLock { $0.framesDone = true }
        fireIfReady(force: false)
    }

    private func fireIfReady(force: Bool) {
        let ready: (Int32, Bool)? = progress.withLock { progress in
            guard !progress.reported, let status = progress.status, progress.framesDone || force else { return nil }
            progress.reported = true
            return status
        }
        if let (code, signaled) = ready { report(code, signaled) }
    }
}

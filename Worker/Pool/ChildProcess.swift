import Foundation
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// One pool child: the app's executable started with `TASKQ_CHILD=1`, spoken to in frames.
final class ChildProcess: @unchecked Sendable {
    /// The worker's number for this child (stable for its lifetime).
    let number: Int
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let writer: FrameWriter

    /// Starts the child; `onFrame` and `onExit` are called from other threads.
    init(number: Int, executable: String, environment: [String: String],
         onFrame: @escaping @Sendable (JSONValue) -> Void,
         onExit: @escaping @Sendable (Int32, Bool) -> Void) throws {
        self.number = number
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = []
        var childEnvironment = ProcessInfo.processInfo.environment
        childEnvironment.merge(environment) { _, new in new }
        childEnvironment["TASKQ_CHILD"] = "1"
        if childEnvironment["SWIFT_BACKTRACE"] == nil { childEnvironment["SWIFT_BACKTRACE"] = "enable=no" }
        process.environment = childEnvironment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        writer = FrameWriter(descriptor: input.fileHandleForWriting.fileDescriptor)
        let exit = ExitReport(onExit)
        process.terminationHandler = { finished in
            exit.processEnded(status: finished.terminationStatus, signaled: finished.terminationReason == .uncaughtSignal)
        }
        try process.run()
        FrameListener.start(descriptor: output.fileHandleForReading.fileDescriptor, name: "taskq.child\(number).frames",
                            onFrame: onFrame, onEnd: { _ in exit.framesEnded() })
    }

    /// The child's process id.
    var pid: Int32 { process.processIdentifier }

    /// Sends a frame; false when the child has gone.
    @discardableResult
    func send(_ frame: JSONValue) -> Bool { writer.send(frame) }

    /// Sends a frame already encoded by `Frame.encode`; false when the child has gone.
    @discardableResult
    func send(encoded frame: [UInt8]) -> Bool { writer.send(encoded: frame) }

    /// Kills the child at once (hard time limit, terminate, cold shutdown).
    func kill(signal: Int32 = SIGKILL) {
        _ = Glibc.kill(process.processIdentifier, signal)
    }

    /// Asks the child to finish its tasks and exit.
    func requestShutdown() {
        send(.object(["type": "shutdown"]))
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
private final class ExitReport: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = PosixLock()
    private var status: (code: Int32, signaled: Bool)?
    private var framesDone = false
    private var reported = false
    private let report: @Sendable (Int32, Bool) -> Void

    /// How long the exit waits for the pipe to close (a grandchild may still hold it open).
    static let pipeGrace = 2.0

    init(_ report: @escaping @Sendable (Int32, Bool) -> Void) { self.report = report }

    func processEnded(status code: Int32, signaled: Bool) {
        lock.withLock { status = (code, signaled) }
        fireIfReady(force: false)
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.pipeGrace) { self.fireIfReady(force: true) }
    }

    func framesEnded() {
        lock.withLock { framesDone = true }
        fireIfReady(force: false)
    }

    private func fireIfReady(force: Bool) {
        let ready: (Int32, Bool)? = lock.withLock {
            guard !reported, let status, framesDone || force else { return nil }
            reported = true
            return status
        }
        if let (code, signaled) = ready { report(code, signaled) }
    }
}

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
        process.terminationHandler = { finished in
            onExit(finished.terminationStatus, finished.terminationReason == .uncaughtSignal)
        }
        try process.run()
        FrameListener.start(descriptor: output.fileHandleForReading.fileDescriptor, name: "taskq.child\(number).frames",
                            onFrame: onFrame, onEnd: { _ in })
    }

    /// The child's process id.
    var pid: Int32 { process.processIdentifier }

    /// Sends a frame; false when the child has gone.
    @discardableResult
    func send(_ frame: JSONValue) -> Bool { writer.send(frame) }

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

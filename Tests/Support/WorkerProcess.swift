import Foundation
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// A real `taskq worker -A tasks` process for a test, with its log captured.
package final class WorkerProcess: @unchecked Sendable {
    package let process = Process()
    package let logURL: URL
    package let url: RedisURL
    /// The flags it was started with (besides -A, --loglevel, -n and --broker).
    package let arguments: [String]
    /// Its node name, `<name>@<host>`.
    package let nodeName: String

    /// The folder with the built `taskq` and `tasks` executables.
    package static var binDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["TASKQ_BIN_DIR"] { return dir }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    }

    /// Path of a built executable, or a setup error naming it.
    package static func executable(_ name: String) throws -> String {
        let path = "\(binDirectory)/\(name)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSetupError("\(path) is missing; run 'swift build' first (scripts/test does)")
        }
        return path
    }

    /// Starts a worker on `url` with extra arguments and waits until it records itself online.
    package init(url: RedisURL, arguments: [String] = [], name: String = "w\(Int.random(in: 1000...9999))", waitForReady: Bool = true) throws {
        self.url = url
        self.arguments = arguments
        nodeName = "\(name)@\(ProcessInfo.processInfo.hostName)"
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("taskq-worker-\(name)-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: try Self.executable("taskq"))
        process.arguments = ["worker", "-A", try Self.executable("tasks"), "--loglevel=info", "-n", "\(name)@%h",
                             "--broker", url.unmasked] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        if waitForReady {
            let ready = try TestRedis.waitUntil(timeout: 60) { self.isOnline || !self.process.isRunning }
            guard ready, process.isRunning else {
                throw TestSetupError("worker did not start:\n\(self.log)")
            }
        }
    }

    /// Everything the worker logged so far.
    package var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Sends a signal.
    package func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Whether the worker process is still running.
    package var isRunning: Bool { process.isRunning }

    /// SIGTERM and wait (warm shutdown); returns the exit status.
    @discardableResult
    package func stop(timeout: Double = 60) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        signal(SIGTERM)
        _ = try? TestRedis.waitUntil(timeout: timeout) { !self.process.isRunning }
        if process.isRunning { signal(SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL the worker (its children die with it).
    package func killHard() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    /// The recovery scenario: SIGKILLs this worker, then starts the next one on the same Redis
    /// with the same flags (or `arguments`), under node name `name`, and waits until it is ready.
    package func killAndReplace(name: String, arguments: [String]? = nil) throws -> WorkerProcess {
        killHard()
        return try WorkerProcess(url: url, arguments: arguments ?? self.arguments, name: name)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }
}

/// The example app's tasks as the test process sees them: typed handles, never run here.
package struct ExampleTasks {
    package let app: App
    package let add: TaskDefinition<Int, Int, Int>
    package let mul: TaskDefinition<Int, Int, Int>
    package let sleep: TaskDefinition<Double, Double>
    package let fail: TaskDefinition<String, Int>
    package let crash: TaskDefinition<Int>
    package let spin: TaskDefinition<Double, Double>

    package init(url: RedisURL, queue: String = "celery") {
        app = App("tests", broker: url.unmasked, defaultQueue: queue)
        add = app.task("tasks.add") { (x: Int, y: Int) in x + y }
        mul = app.task("tasks.mul") { (x: Int, y: Int) in x * y }
        sleep = app.task("tasks.sleep") { (seconds: Double) in seconds }
        fail = app.task("tasks.fail") { (_: String) -> Int in 0 }
        crash = app.task("tasks.crash") { () -> Int in 0 }
        spin = app.task("tasks.spin") { (seconds: Double) in seconds }
    }
}

import Foundation
import Testing
import TaskQ
import TaskQTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A worker started with bad flags or a Redis it cannot use says so once and stops.
@Suite("Worker start-up faults: bad flags, a stop during backoff, a Redis user without scripting (needs Redis)", .serialized)
struct WorkerStartFaultTests {
    /// Runs `taskq worker ARGS` to its end; returns its exit status and everything it printed.
    static func runWorker(_ arguments: [String], timeout: Double = 30) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try WorkerProcess.executable("taskq"))
        process.arguments = ["worker", "-A", try WorkerProcess.executable("tasks")] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test("flags that would make a worker that never works are refused with the flag named", arguments: [
        (["-c", "0"], "--concurrency must be at least 1"),
        (["--soft-time-limit", "inf"], "--soft-time-limit must be a number of seconds"),
        (["--time-limit", "1e20"], "--time-limit must be a number of seconds"),
        (["--time-limit=-3"], "--time-limit must be a number of seconds"),
        (["--visibility-timeout", "nan"], "--visibility-timeout must be a number of seconds"),
    ])
    func refusedFlags(arguments: [String], message: String) throws {
        let url = try TestRedis.freshDatabase()
        let (status, output) = try Self.runWorker(arguments + ["--broker", url.unmasked])
        #expect(status != 0)
        #expect(output.contains(message), "\(output)")
        #expect(!output.contains(" ready."))
    }

    @Test("SIGTERM while the worker waits out its reconnect backoff ends it at once")
    func stopDuringBackoff() async throws {
        let base = try TestRedis.baseURL
        // The test Redis has no password: every AUTH fails, and the worker keeps retrying with backoff.
        var url = base
        url.password = "not-the-password"
        let worker = try WorkerProcess(url: url, waitForReady: false)
        // By now the backoff between attempts has grown to several seconds.
        _ = try await TestRedis.waitUntil(timeout: 7.5) { false }
        #expect(worker.log.contains("Trying again with backoff"))
        let signalled = Date()
        worker.signal(SIGTERM)
        let ended = try await TestRedis.waitUntil(timeout: 15) { !worker.isRunning }
        #expect(ended)
        // The backoff it was sleeping in was up to 5 s; the stop must not wait for it.
        #expect(Date().timeIntervalSince(signalled) < 2.5, "took \(Date().timeIntervalSince(signalled)) s")
    }

    @Test("a Redis user without scripting gets one error naming the permission, and the worker exits 1")
    func userWithoutScripting() throws {
        let base = try TestRedis.baseURL
        let user = "noscript\(Int.random(in: 1000...9999))"
        try TestRedis.command(base, RedisCommand("ACL", "SETUSER", user, "on", ">secret", "~*", "&*", "+@all", "-@scripting"))
        defer { _ = try? TestRedis.command(base, RedisCommand("ACL", "DELUSER", user)) }
        var account = base
        account.username = user
        account.password = "secret"
        let url = account.unmasked
        let (status, output) = try Self.runWorker(["--broker", url, "-c", "1"])
        #expect(status == 1)
        #expect(output.contains("may not run Lua scripts"), "\(output)")
        #expect(!output.contains(" ready."))
        #expect(!output.contains("secret"), "the password is masked")
    }
}

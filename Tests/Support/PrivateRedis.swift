import Foundation
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// A redis-server of a test's own (append-only file on), for tests that stop and restart Redis.
package final class PrivateRedis: @unchecked Sendable {
    package let port: Int
    package let directory: URL
    private var process: Process?

    /// Where it listens.
    package var url: RedisURL { get throws { try RedisURL("redis://127.0.0.1:\(port)/0") } }

    /// Starts it on a free port with a fresh data directory.
    package init() throws {
        port = try FreePort.find()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskq-private-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    /// Starts the server (again) on the same port and data directory, and waits until it answers.
    package func start() throws {
        let redis = Process()
        redis.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        redis.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path,
                           "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        redis.standardOutput = FileHandle.nullDevice
        try redis.run()
        process = redis
        let url = try self.url
        let up = try TestRedis.waitUntil(timeout: 20) { (try? TestRedis.command(url, RedisCommand("PING"))) != nil }
        guard up else { throw TestSetupError("redis-server on port \(port) did not start") }
    }

    /// `SHUTDOWN` (the append-only file is flushed) and waits for the process to end.
    package func shutdown() throws {
        _ = try? TestRedis.command(try url, RedisCommand("SHUTDOWN"))
        process?.waitUntilExit()
        process = nil
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

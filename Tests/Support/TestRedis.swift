import Foundation
import TaskQ

/// The private redis-server the test script started (`TASKQ_TEST_REDIS_URL`), one database per test.
package enum TestRedis {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var nextDatabase = 1

    /// The base URL; a test that needs Redis fails with a clear message without it.
    package static var baseURL: RedisURL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["TASKQ_TEST_REDIS_URL"] else {
                throw TestSetupError("TASKQ_TEST_REDIS_URL is not set; run the tests with scripts/test, which starts a private redis-server")
            }
            return try RedisURL(text)
        }
    }

    /// The databases tests take in turn (scripts/start-redis starts Redis with 64; the
    /// interop suite, run afterwards, uses 1...15 too).
    private static let databases = 63

    /// A fresh, empty database of its own for one test (databases 1...63 in turn, so tests
    /// running in parallel never share one).
    package static func freshDatabase() throws -> RedisURL {
        let number: Int = lock.withLock {
            let number = nextDatabase
            nextDatabase = nextDatabase % databases + 1
            return number
        }
        let url = try baseURL.withDatabase(number)
        let connection = try RedisConnection(url: url)
        try connection.command(RedisCommand("FLUSHDB"))
        connection.close()
        return url
    }

    /// Runs one command on a short-lived connection.
    @discardableResult
    package static func command(_ url: RedisURL, _ command: RedisCommand) throws -> RedisReply {
        let connection = try RedisConnection(url: url)
        defer { connection.close() }
        return try connection.command(command)
    }

    /// Waits until `condition` holds, checking every 50 ms, up to `timeout` seconds, without
    /// holding a thread of Swift's cooperative pool (tests run in parallel on two of them).
    package static func waitUntil(timeout: Double = 20, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    /// The blocking form, for set-up code that is not async (starting processes).
    package static func waitUntil(timeout: Double = 20, _ condition: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }
}

/// A test could not be set up (missing binary, missing Redis).
package struct TestSetupError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

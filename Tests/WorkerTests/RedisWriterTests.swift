import Foundation
import Logging
@testable import TaskQ
@testable import TaskQWorker
import TaskQTestSupport
import Testing

@Suite("The worker's Redis writer against a real Redis")
struct RedisWriterTests {
    private func list(_ url: RedisURL, _ key: String) throws -> [String] {
        (try TestRedis.command(url, RedisCommand("LRANGE", key, 0, -1)).array ?? []).compactMap(\.string)
    }

    @Test("writes reach Redis in the order they were queued, sent directly or by the thread, a script load included")
    func order() async throws {
        let url = try TestRedis.freshDatabase()
        let writer = RedisWriter(url: url, name: "test.writer", logger: Logger(label: "test"))
        defer { writer.stop() }
        // A script object of its own: its SHA is unknown, so the writer loads it on first use.
        let push = RedisScript("return redis.call('RPUSH', KEYS[1], ARGV[1])")
        var expected: [String] = []
        for index in 0..<2000 {
            if index == 1000 {
                // One entry with the load in the middle of it: the load's round trip must not
                // read the reply of a command queued before it.
                writer.enqueue([.command(RedisCommand("RPUSH", "ordered", "before")),
                                .script(push, keys: ["ordered"], arguments: [Array("script".utf8)]),
                                .command(RedisCommand("RPUSH", "ordered", "after"))])
                expected += ["before", "script", "after"]
            }
            writer.enqueue([.command(RedisCommand("RPUSH", "ordered", index))])
            expected.append(String(index))
        }
        await writer.flush()
        #expect(try list(url, "ordered") == expected)
    }

    @Test("a connection the server closed while the writer was idle is replaced, and the write arrives")
    func reconnectsAfterIdleClose() async throws {
        let url = try TestRedis.freshDatabase()
        let writer = RedisWriter(url: url, name: "test.writer", logger: Logger(label: "test"))
        defer { writer.stop() }
        writer.enqueue([.command(RedisCommand("RPUSH", "survives", "one"))])
        await writer.flush()
        try TestRedis.command(url, RedisCommand("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"))
        try await Task.sleep(for: .milliseconds(100))
        writer.enqueue([.command(RedisCommand("RPUSH", "survives", "two"))])
        await writer.flush()
        #expect(try list(url, "survives") == ["one", "two"])
    }
}

import Foundation
import TaskQ
import TaskQTestSupport
import Testing

@Suite("Pools under rate limits, and autoscale (needs Redis and child processes)", .serialized)
struct PoolControlTests {
    @Test("rate limits hold under -P async -c 100: 10/s local (50 tasks) and 20/s shared (100 tasks) take at least 4.5 s",
          arguments: [("tasks.limited", 50), ("tasks.shared_limited", 100)])
    func rateLimitsAsync(task: String, count: Int) async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-P", "async", "-c", "100", "--processes", "2"])
        defer { worker.stop() }
        let elapsed = try await timedBatch(url, task, count: count)
        #expect(elapsed >= 4.5, "\(count) × \(task) took only \(elapsed) s")
    }

    /// The pool's processes as `inspect stats` reports them.
    static func processes(_ app: App, _ node: String) async throws -> Int? {
        try await app.control.inspect("stats", destination: [node])[node]?["pool"]?["processes"]?.arrayValue?.count
    }

    @Test("--autoscale 4,1 grows the pool while tasks wait and shrinks it when they are done (read from inspect stats)")
    func autoscale() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["--autoscale", "4,1", "--autoscale-idle", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        #expect(try await Self.processes(tasks.app, worker.nodeName) == 1)
        var results: [AsyncResult<Double>] = []
        for _ in 0..<12 { results.append(try await tasks.sleep.delay(0.5)) }
        var grown = false
        for _ in 0..<40 where !grown {
            grown = try await Self.processes(tasks.app, worker.nodeName) == 4
            if !grown { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(grown, "the pool should grow to 4 under load")
        for result in results { #expect(try await result.get(timeout: .seconds(30)) == 0.5) }
        var shrunk = false
        for _ in 0..<100 where !shrunk {
            shrunk = try await Self.processes(tasks.app, worker.nodeName) == 1
            if !shrunk { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(shrunk, "the pool should shrink back to 1 once idle")
        let stats = try await tasks.app.control.inspect("stats", destination: [worker.nodeName])[worker.nodeName]
        #expect(stats?["pool"]?["autoscaler"]?["max"] == 4)
    }

    @Test("pool_grow on an async worker answers with an error naming the pool")
    func poolGrowAsync() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-P", "async", "-c", "20", "--processes", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let reply = try await app.control.inspect("pool_grow", arguments: ["n": 1], destination: [worker.nodeName])[worker.nodeName]
        #expect(reply?["error"]?.stringValue?.contains("async") == true)
    }
}

import Foundation
import TaskQ
import TaskQTestSupport
import Testing

@Suite("The async pool: many tasks per child, time limits and crashes (needs Redis and child processes)", .serialized)
struct AsyncPoolTests {
    /// Waits for every result and returns how each ended.
    static func outcomes<Output>(_ results: [AsyncResult<Output>], timeout: Duration = .seconds(60)) async throws -> [TaskOutcome<Output>] {
        var outcomes: [TaskOutcome<Output>] = []
        for result in results { outcomes.append(try await result.get(timeout: timeout, propagate: false)) }
        return outcomes
    }

    @Test("200 × tasks.sleep(0.5) with -P async -c 200 run at once and all succeed")
    func manyAtOnce() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-P", "async", "-c", "200", "--processes", "2"])
        defer { worker.stop() }
        #expect(worker.status?.pool == "async")
        #expect(worker.status?.concurrency == 200)
        let tasks = ExampleTasks(url: url)
        let started = Date()
        var results: [AsyncResult<Double>] = []
        for _ in 0..<200 { results.append(try await tasks.sleep.delay(0.5)) }
        let outcomes = try await Self.outcomes(results)
        let elapsed = Date().timeIntervalSince(started)
        #expect(outcomes.allSatisfy { $0.value == 0.5 })
        #expect(elapsed < 5, "200 half-second sleeps took \(elapsed) s; one at a time per process they would take 50 s")
    }

    @Test("a soft time limit cancels one async task while its siblings finish")
    func softLimit() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-P", "async", "-c", "10", "--processes", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let limited = try await tasks.sleep.applyAsync(5, options: SendOptions(softTimeLimit: .seconds(1)))
        var siblings: [AsyncResult<Double>] = []
        for _ in 0..<5 { siblings.append(try await tasks.sleep.delay(1.5)) }
        let outcome = try await limited.get(timeout: .seconds(30), propagate: false)
        #expect(outcome.failure?.type == "SoftTimeLimitExceeded")
        #expect(try await Self.outcomes(siblings).allSatisfy { $0.value == 1.5 })
    }

    @Test("a hard time limit on a task that ignores cancellation: TimeLimitExceeded, and every sibling still succeeds after it is given back")
    func hardLimit() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-P", "async", "-c", "10", "--processes", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let spin = try await tasks.spin.applyAsync(4, options: SendOptions(timeLimit: .seconds(1)))
        var siblings: [AsyncResult<Double>] = []
        for _ in 0..<5 { siblings.append(try await tasks.sleep.delay(3)) }
        let outcome = try await spin.get(timeout: .seconds(30), propagate: false)
        #expect(outcome.failure?.type == "TimeLimitExceeded")
        #expect(try await Self.outcomes(siblings).allSatisfy { $0.value == 3 })
        #expect(worker.log.contains("Giving back 5 task(s) that shared child"))
        #expect(worker.isRunning)
    }

    @Test("a task that traps among 50 running ones fails with WorkerLostError; the other 49 succeed, none lost")
    func trapAmongMany() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-P", "async", "-c", "50", "--processes", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        var siblings: [AsyncResult<Double>] = []
        for _ in 0..<49 { siblings.append(try await tasks.sleep.delay(0.2)) }
        let crash = try await tasks.crash.delay()
        let outcome = try await crash.get(timeout: .seconds(60), propagate: false)
        #expect(outcome.failure?.type == "WorkerLostError")
        #expect(try await Self.outcomes(siblings).allSatisfy { $0.value == 0.2 })
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
        #expect(try TestRedis.command(url, RedisCommand("LLEN", CeleryKeys.deadLetters)).integer == 0)
        #expect(worker.isRunning)
    }

    @Test("revoke with terminate cancels one running async task; its siblings finish")
    func terminate() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-P", "async", "-c", "10", "--processes", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let victim = try await tasks.sleep.delay(30)
        let sibling = try await tasks.sleep.delay(2)
        #expect(try await worker.waitForTask(victim.id, .started))
        try await victim.revoke(terminate: true)
        let outcome = try await victim.get(timeout: .seconds(20), propagate: false)
        #expect(outcome.failure?.state == .revoked)
        #expect(try await sibling.get(timeout: .seconds(20)) == 2)
    }
}

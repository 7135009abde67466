import Foundation
import Testing
@testable import TaskQ
import TaskQTestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("Worker semantics: retries, ETA, rate and time limits, recovery, revoke (needs Redis and child processes)", .serialized)
struct SemanticsTests {
    @Test("a task failing twice under autoretryFor ends SUCCESS after passing through RETRY")
    func retriesThenSucceeds() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let id = UUID().uuidString.lowercased()
        let recorder = try StateRecorder(url: url, taskID: id)
        let result = try await app.sendTask("tasks.flaky", args: [2], options: SendOptions(taskID: id))
        #expect(try await result.get(timeout: .seconds(20)) == 2)
        _ = try await TestRedis.waitUntil(timeout: 5) { recorder.states.count >= 3 }
        #expect(recorder.states == ["RETRY", "RETRY", "SUCCESS"])
        #expect(worker.log.contains("Task tasks.flaky[\(id)] retry: Retry in 0.2s"))
    }

    @Test("a task that always fails ends FAILURE after maxRetries, with growing backoff between attempts")
    func retriesExhausted() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let id = UUID().uuidString.lowercased()
        let recorder = try StateRecorder(url: url, taskID: id)
        let result = try await app.sendTask("tasks.always_fails", options: SendOptions(taskID: id))
        let outcome = try await result.get(timeout: .seconds(30), propagate: false)
        #expect(outcome.failure?.type == "MaxRetriesExceededError")
        #expect(outcome.failure?.message.contains("maximum retries (3) exceeded") == true)
        #expect(outcome.failure?.message.contains("FlakyError") == true)
        _ = try await TestRedis.waitUntil(timeout: 5) { recorder.states.count >= 4 }
        #expect(recorder.states == ["RETRY", "RETRY", "RETRY", "FAILURE"])
        let times = recorder.times
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
        let expected = [0.3, 0.6, 1.2]
        for (gap, minimum) in zip(gaps, expected) { #expect(gap >= minimum - 0.05, "gaps \(gaps)") }
        #expect(gaps == gaps.sorted(), "backoff should grow: \(gaps)")
    }

    @Test("an explicit Retry(countdown:) from the task body runs the task again later")
    func explicitRetry() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let started = Date()
        let value = try await app.sendTask("tasks.retry_later", args: [1]).get(timeout: .seconds(20))
        #expect(value == 1)
        #expect(Date().timeIntervalSince(started) >= 0.95)
    }

    @Test("100 countdown (2 s) tasks survive a SIGKILLed worker and run once each, none before their ETA")
    func etaSurvivesWorkerKill() async throws {
        let url = try TestRedis.freshDatabase()
        let first = try WorkerProcess(url: url, arguments: ["-c", "2", "--visibility-timeout", "5"], name: "eta1")
        let tasks = ExampleTasks(url: url)
        var sent: [(id: String, eta: Date)] = []
        for index in 0..<100 {
            // A 2 s countdown, its ETA fixed before sending so a send that stalls cannot move the
            // bound. The kill below must come before any task is due (checked): a task that ran on
            // the killed worker (acks early) could have its result die with it, as in Celery.
            let eta = Date().addingTimeInterval(2)
            let result = try await tasks.add.applyAsync(index, 1, options: SendOptions(eta: eta))
            sent.append((result.id, eta))
        }
        _ = try await TestRedis.waitUntil(timeout: 10) {
            (try TestRedis.command(url, RedisCommand("ZCARD", CeleryKeys.scheduled)).integer ?? 0) >= 50
        }
        first.killHard()
        #expect(Date() < sent[0].eta, "the first worker should be killed before any task is due")
        let second = try WorkerProcess(url: url, arguments: first.arguments, name: "eta2")
        defer { second.stop() }
        for (index, entry) in sent.enumerated() {
            let record = try await tasks.app.waitForRecord(entry.id, timeout: .seconds(30))
            #expect(record.status == .success)
            #expect(record.result == .int(index + 1))
            #expect((record.dateDone ?? .distantPast) >= entry.eta.addingTimeInterval(-0.05), "ran before its ETA")
        }
        let runs = (first.log + second.log).components(separatedBy: "] succeeded in").count - 1
        #expect(runs == 100, "each task should run once; saw \(runs) runs")
        #expect(try TestRedis.command(url, RedisCommand("ZCARD", CeleryKeys.scheduled)).integer == 0)
    }

    @Test("an expired task is not run and ends REVOKED expired")
    func expires() async throws {
        let url = try TestRedis.freshDatabase()
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.add.applyAsync(1, 2, options: SendOptions(countdown: .seconds(1), expiresIn: .milliseconds(300)))
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let outcome = try await result.get(timeout: .seconds(20), propagate: false)
        #expect(outcome.failure?.state == .revoked)
        #expect(outcome.failure?.exception == ExceptionInfo(type: "TaskRevokedError", arguments: ["expired"], module: "celery.exceptions"))
        #expect(!worker.log.contains("Task tasks.add[\(result.id)] succeeded"))
    }

    @Test("a shared 20/s limit holds two workers to 100 tasks in at least 4.5 s")
    func globalRateLimit() async throws {
        let url = try TestRedis.freshDatabase()
        let one = try WorkerProcess(url: url, arguments: ["-c", "2"], name: "rate1")
        let two = try WorkerProcess(url: url, arguments: ["-c", "2"], name: "rate2")
        defer {
            one.stop()
            two.stop()
        }
        let elapsed = try await timedBatch(url, "tasks.shared_limited", count: 100)
        #expect(elapsed >= 4.5, "100 tasks at 20/s took only \(elapsed) s")
        let onOne = one.log.components(separatedBy: "tasks.shared_limited[").count
        let onTwo = two.log.components(separatedBy: "tasks.shared_limited[").count
        #expect(onOne > 1 && onTwo > 1, "both workers should take part")
    }

    @Test("a per-worker 10/s limit holds 50 tasks to at least 4.5 s without blocking other tasks")
    func localRateLimit() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let tasks = ExampleTasks(url: url)
        let started = Date()
        let ids = try await app.sendBatch((0..<50).map { BatchCall(name: "tasks.limited", args: [.int($0)]) })
        let quick = Date()
        #expect(try await tasks.add.delay(1, 1).get(timeout: .seconds(20)) == 2)
        #expect(Date().timeIntervalSince(quick) < 2, "an unlimited task waited behind throttled ones")
        for id in ids { _ = try await app.asyncResult(id, as: Int.self).get(timeout: .seconds(30)) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 4.5, "50 tasks at 10/s took only \(elapsed) s")
    }

    @Test("a soft time limit cancels a cooperative task with SoftTimeLimitExceeded")
    func softTimeLimit() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let started = Date()
        let outcome = try await tasks.sleep.applyAsync(10, options: SendOptions(softTimeLimit: .milliseconds(500)))
            .get(timeout: .seconds(20), propagate: false)
        #expect(outcome.failure?.type == "SoftTimeLimitExceeded")
        #expect(outcome.failure?.exception.module == "billiard.exceptions")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("a task sees SoftTimeLimitExceeded when its soft limit passes, and may clean up and return")
    func softTimeLimitSeenByTask() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--soft-time-limit", "0.5"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let started = Date()
        let value = try await app.sendTask("tasks.soft_aware", args: [10]).get(timeout: .seconds(20))
        #expect(value == "cleaned up after the soft time limit (0.5 s)")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("a hard time limit kills tasks.spin in under 3 s while other tasks keep running")
    func hardTimeLimit() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let started = Date()
        let spin = try await tasks.spin.applyAsync(60, options: SendOptions(timeLimit: .seconds(1)))
        let sleeper = try await tasks.sleep.delay(1.5)
        let outcome = try await spin.get(timeout: .seconds(20), propagate: false)
        #expect(outcome.failure?.type == "TimeLimitExceeded")
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(try await sleeper.get(timeout: .seconds(20)) == 1.5)
        #expect(try await tasks.add.delay(2, 2).get(timeout: .seconds(20)) == 4)
        #expect(worker.log.contains("Hard time limit (1.0s) exceeded for tasks.spin[\(spin.id)]"))
    }

    @Test("2,000 acks-late tasks survive a SIGKILLed worker: all succeed and the bookkeeping ends empty")
    func atLeastOnce() async throws {
        let url = try TestRedis.freshDatabase()
        let arguments = ["-c", "2", "--acks-late", "--visibility-timeout", "5"]
        let first = try WorkerProcess(url: url, arguments: arguments, name: "alo1")
        let app = App("tests", broker: url.unmasked)
        let ids = try await app.sendBatch((0..<2000).map { _ in BatchCall(name: "tasks.sleep", args: [0.01]) })
        _ = try await TestRedis.waitUntil(timeout: 60) { first.log.components(separatedBy: "] succeeded in").count > 1000 }
        let second = try first.killAndReplace(name: "alo2")
        defer { second.stop() }
        for id in ids {
            let record = try await app.waitForRecord(id, timeout: .seconds(60))
            #expect(record.status == .success)
        }
        let drained = try await TestRedis.waitUntil(timeout: 20) {
            try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0
        }
        #expect(drained)
        #expect(try TestRedis.command(url, RedisCommand("LLEN", "celery")).integer == 0)
        #expect(try TestRedis.command(url, RedisCommand("ZCARD", CeleryKeys.scheduled)).integer == 0)
        #expect(try TestRedis.command(url, RedisCommand("ZCARD", CeleryKeys.unackedIndex)).integer == 0)
        let runs = (first.log + second.log).components(separatedBy: "] succeeded in").count - 1
        print("at-least-once: 2000 tasks, \(runs) runs, \(runs - 2000) duplicates (tasks running when the first worker was killed)")
        #expect(runs >= 2000)
        #expect(runs - 2000 <= 10, "only the tasks in flight at the kill may run twice")
    }

    @Test("a worker SIGKILLed and restarted under the same name takes back what it held at once, not after the visibility timeout")
    func sameNameRestart() async throws {
        let url = try TestRedis.freshDatabase()
        // A visibility timeout far longer than the waits below: only the take-back at start-up can finish in time.
        let arguments = ["-c", "1", "--acks-late", "--visibility-timeout", "120"]
        let first = try WorkerProcess(url: url, arguments: arguments, name: "phoenix")
        let app = App("tests", broker: url.unmasked)
        let ids = try await app.sendBatch((0..<20).map { _ in BatchCall(name: "tasks.sleep", args: [0.2]) })
        _ = try await TestRedis.waitUntil(timeout: 30) { first.log.components(separatedBy: "] succeeded in").count > 2 }
        first.killHard()
        let held = try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer ?? 0
        #expect(held > 0, "the killed worker should have held messages")
        let second = try WorkerProcess(url: url, arguments: arguments, name: "phoenix")
        defer { second.stop() }
        for id in ids {
            #expect(try await app.waitForRecord(id, timeout: .seconds(40)).status == .success)
        }
        #expect(second.log.contains("Restored"))
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
    }

    @Test("a worker started under the name of one still running takes none of its messages")
    func sameNameOverlap() async throws {
        let url = try TestRedis.freshDatabase()
        let arguments = ["-c", "1", "--acks-late", "--visibility-timeout", "6"]
        let first = try WorkerProcess(url: url, arguments: arguments, name: "twin")
        defer { first.stop() }
        let app = App("tests", broker: url.unmasked)
        let ids = try await app.sendBatch((0..<8).map { _ in BatchCall(name: "tasks.sleep", args: [0.5]) })
        _ = try await TestRedis.waitUntil(timeout: 20) { first.log.components(separatedBy: "] received").count > 3 }
        let second = try WorkerProcess(url: url, arguments: arguments, name: "twin")
        defer { second.stop() }
        for id in ids {
            #expect(try await app.waitForRecord(id, timeout: .seconds(60)).status == .success)
        }
        let logs = first.log + second.log
        for id in ids {
            #expect(logs.components(separatedBy: "[\(id)] succeeded in").count == 2, "task \(id) ran more than once or never")
        }
        #expect(!second.log.contains("Restored"))
    }

    @Test("warm shutdown in the middle of a run loses nothing and runs nothing twice")
    func warmShutdownMidRun() async throws {
        let url = try TestRedis.freshDatabase()
        // Prefetch 4 per child, so the shutdown has prefetched messages to give back (the default
        // holds one per child of tasks this long).
        let first = try WorkerProcess(url: url, arguments: ["-c", "2", "--prefetch-multiplier", "4"], name: "warm1")
        let app = App("tests", broker: url.unmasked)
        let ids = try await app.sendBatch((0..<40).map { _ in BatchCall(name: "tasks.sleep", args: [0.2]) })
        _ = try await TestRedis.waitUntil(timeout: 30) { first.log.components(separatedBy: "] succeeded in").count > 5 }
        #expect(first.stop() == 0)
        #expect(first.log.contains("Restoring"))
        let second = try WorkerProcess(url: url, arguments: ["-c", "2"], name: "warm2")
        defer { second.stop() }
        for id in ids { #expect(try await app.waitForRecord(id, timeout: .seconds(30)).status == .success) }
        let logs = first.log + second.log
        for id in ids {
            #expect(logs.components(separatedBy: "[\(id)] succeeded in").count == 2, "task \(id) ran more than once or never")
        }
    }

    @Test("a message that kills its child on every delivery ends in the dead-letter list")
    func poisonMessage() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--max-deliveries", "3"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let result = try await app.sendTask("tasks.poison")
        let outcome = try await result.get(timeout: .seconds(30), propagate: false)
        #expect(outcome.failure?.type == "WorkerLostError")
        #expect(outcome.failure?.message.contains("dead-letter") == true)
        let dead = try TestRedis.command(url, RedisCommand("LRANGE", CeleryKeys.deadLetters, 0, -1)).array ?? []
        #expect(dead.count == 1)
        let entry = try JSONValue.parse(dead.first?.bytes ?? [])
        #expect(entry["raw"]?.stringValue?.contains(result.id) == true)
        #expect(entry["reason"]?.stringValue?.contains("delivered 4 times") == true)
        #expect(worker.log.components(separatedBy: "requeueing (reject_on_worker_lost").count - 1 == 3)
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
    }

    @Test("a revoked task never runs, even on a worker started after the revoke")
    func revokeBeforeRun() async throws {
        let url = try TestRedis.freshDatabase()
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.add.delay(5, 5)
        try await result.revoke()
        #expect(try await result.state == .revoked)
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let after = try await tasks.add.delay(1, 1)
        #expect(try await after.get(timeout: .seconds(20)) == 2)
        _ = try await TestRedis.waitUntil(timeout: 5) { worker.log.contains("Discarding revoked task: tasks.add[\(result.id)]") }
        #expect(worker.log.contains("Discarding revoked task: tasks.add[\(result.id)]"))
        #expect(!worker.log.contains("tasks.add[\(result.id)] succeeded"))
        #expect(try await result.get(timeout: .seconds(1), propagate: false).failure?.state == .revoked)
    }

    @Test("revoke with terminate stops a running tasks.spin")
    func revokeTerminate() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let spin = try await tasks.spin.delay(30)
        _ = try await worker.waitForTask(spin.id, .received)
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        try await spin.revoke(terminate: true)
        let outcome = try await spin.get(timeout: .seconds(20), propagate: false)
        #expect(outcome.failure?.state == .revoked)
        #expect(outcome.failure?.message == "terminated")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try await tasks.add.delay(3, 4).get(timeout: .seconds(20)) == 7)
    }

    @Test("-Q consumes several queues, and higher-priority lists are served first")
    func queuesAndPriorities() async throws {
        let url = try TestRedis.freshDatabase()
        let a = ExampleTasks(url: url, queue: "alpha")
        let b = ExampleTasks(url: url, queue: "beta")
        var low: [String] = []
        for _ in 0..<3 { low.append(try await a.sleep.applyAsync(0.05, options: SendOptions(priority: 9)).id) }
        let high = try await a.add.applyAsync(1, 2, options: SendOptions(priority: 0))
        let other = try await b.mul.delay(2, 5)
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--prefetch-multiplier", "1", "-Q", "alpha,beta"])
        defer { worker.stop() }
        #expect(try await high.get(timeout: .seconds(20)) == 3)
        #expect(try await other.get(timeout: .seconds(20)) == 10)
        for id in low { #expect(try await a.app.waitForRecord(id, timeout: .seconds(20)).status == .success) }
        let log = worker.log
        let highAt = try #require(log.range(of: "[\(high.id)] received")?.lowerBound)
        for id in low {
            let lowAt = try #require(log.range(of: "[\(id)] received")?.lowerBound)
            #expect(highAt < lowAt, "the priority-0 task should be received before priority-9 ones")
        }
    }
}

import Foundation
import Testing
@testable import TaskQ
import TaskQTestSupport

@Suite("Round trips through a real worker (needs Redis and child processes)", .serialized)
struct RoundTripTests {
    @Test("delay then get returns the task's value")
    func delayAndGet() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.add.delay(2, 3)
        #expect(try await result.get(timeout: .seconds(20)) == 5)
        #expect(try await result.state == .success)
        #expect(try await result.ready())
        #expect(try await result.successful())
        let product = try await tasks.mul.delay(6, 7).get(timeout: .seconds(20))
        #expect(product == 42)
        #expect(worker.log.contains("Task tasks.add[\(result.id)] received"))
        #expect(worker.log.contains("Task tasks.add[\(result.id)] succeeded in"))
    }

    @Test("a worker started before its Redis says so in one line, retries with backoff, and serves once Redis is up")
    func waitsForRedis() async throws {
        let port = try FreePort.find()
        let url = try RedisURL("redis://127.0.0.1:\(port)/0")
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"], waitForReady: false)
        defer { worker.stop() }
        #expect(try await TestRedis.waitUntil(timeout: 20) { worker.log.contains("cannot reach Redis at redis://127.0.0.1:\(port)/0") })
        try await Task.sleep(for: .seconds(2))
        #expect(worker.log.components(separatedBy: "cannot reach Redis").count - 1 == 1, "one line for the outage, not one per attempt")
        #expect(!worker.log.contains(" ready."))

        let redis = Process()
        redis.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        redis.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        redis.standardOutput = FileHandle.nullDevice
        try redis.run()
        defer {
            kill(redis.processIdentifier, SIGKILL)
            redis.waitUntilExit()
        }
        #expect(try await TestRedis.waitUntil(timeout: 30) { worker.log.contains(" ready.") })
        let tasks = ExampleTasks(url: url)
        #expect(try await tasks.add.delay(20, 22).get(timeout: .seconds(20)) == 42)
    }

    @Test("a failure throws with type and message when propagating, and comes back as a value when not")
    func failurePropagation() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.fail.delay("boom")
        do {
            _ = try await result.get(timeout: .seconds(20))
            Issue.record("get() should have thrown")
        } catch let failure as TaskFailure {
            #expect(failure.type == "DemoError")
            #expect(failure.message == "boom")
            #expect(failure.state == .failure)
            #expect(failure.traceback?.contains("DemoError: boom") == true)
        }
        let outcome = try await result.get(timeout: .seconds(5), propagate: false)
        #expect(outcome.value == nil)
        #expect(outcome.failure?.exception.type == "DemoError")
        #expect(outcome.failure?.exception.module == "tasks")
        #expect(try await result.traceback?.hasPrefix("Traceback (most recent call last):") == true)
        #expect(try await result.failed())
        #expect(worker.log.contains("raised unexpected: DemoError('boom')"))
    }

    @Test("an unknown task name ends FAILURE NotRegistered")
    func notRegistered() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let result = try await app.sendTask("tasks.nope", args: [1])
        let outcome = try await result.get(timeout: .seconds(20), propagate: false)
        #expect(outcome.failure?.exception == ExceptionInfo(type: "NotRegistered", arguments: ["tasks.nope"], module: "celery.exceptions"))
        #expect(worker.log.contains("Received unregistered task of type 'tasks.nope'"))
    }

    @Test("arguments that do not decode fail with a message naming the task, the argument and the type")
    func argumentMismatch() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let outcome = try await app.sendTask("tasks.add", args: ["x", 3]).get(timeout: .seconds(20), propagate: false)
        #expect(outcome.failure?.type == "TypeError")
        #expect(outcome.failure?.message == "tasks.add(): argument 1 (x) expected Int, got 'x'")
        let byKeyword = try await app.sendTask("tasks.add", kwargs: ["x": 40, "y": 2]).get(timeout: .seconds(20))
        #expect(byKeyword == 42)
    }

    @Test("malformed messages go to the dead-letter list while the worker keeps serving")
    func deadLetters() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        try TestRedis.command(url, RedisCommand("LPUSH", "celery", "this is not json"))
        let badBody = #"{"body": "bm90IGpzb24=", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "bad-body-1"}, "properties": {"delivery_tag": "tag-bad-body", "body_encoding": "base64", "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0}}"#
        try TestRedis.command(url, RedisCommand("LPUSH", "celery", badBody))
        let tasks = ExampleTasks(url: url)
        #expect(try await tasks.add.delay(1, 1).get(timeout: .seconds(20)) == 2)
        let dead = try TestRedis.command(url, RedisCommand("LRANGE", CeleryKeys.deadLetters, 0, -1)).array ?? []
        #expect(dead.count == 2)
        let entries = try dead.map { try JSONValue.parse($0.bytes ?? []) }
        let raws = entries.compactMap { $0["raw"]?.stringValue }
        #expect(raws.contains("this is not json"))
        #expect(raws.contains { $0.contains("tag-bad-body") })
        #expect(entries.allSatisfy { ($0["reason"]?.stringValue ?? "").isEmpty == false })
        #expect(entries.contains { $0["reason"]?.stringValue?.contains("body is not JSON") == true })
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
        #expect(worker.log.contains("dead-letter list"))
    }

    @Test("-c 4 runs four one-second sleeps at once")
    func concurrency() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "4"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let started = Date()
        var results: [AsyncResult<Double>] = []
        for _ in 0..<4 { results.append(try await tasks.sleep.delay(1)) }
        for result in results { #expect(try await result.get(timeout: .seconds(20)) == 1) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 2, "four 1 s sleeps on -c 4 took \(elapsed) s")
    }

    @Test("get(timeout:) gives up with a clear timeout error")
    func getTimesOut() async throws {
        let url = try TestRedis.freshDatabase()
        let tasks = ExampleTasks(url: url, queue: "nobody-consumes-this")
        let result = try await tasks.add.delay(1, 2)
        do {
            _ = try await result.get(timeout: .milliseconds(300))
            Issue.record("get() should have timed out")
        } catch let error as TaskQError {
            #expect(error.isTimeout)
            #expect(error.message.contains(result.id))
            #expect(error.message.contains("is a worker running"))
        }
        #expect(try await result.state == .pending)
    }

    @Test("a task that traps fails alone with WorkerLostError and the next task succeeds")
    func trapIsolation() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let crash = try await tasks.crash.delay().get(timeout: .seconds(20), propagate: false)
        #expect(crash.failure?.type == "WorkerLostError")
        #expect(crash.failure?.message.contains("SIGILL") == true)
        #expect(try await tasks.add.delay(20, 22).get(timeout: .seconds(20)) == 42)
    }

    @Test("short tasks waiting in a child behind a short one that traps are run again, not failed")
    func queuedBehindTrap() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        // Teach the worker that tasks.add and tasks.fragile are short, so adds may queue in the
        // child behind a fragile one (never behind a task not known to be short).
        let warmUp = try await app.sendBatch((0..<50).flatMap {
            [BatchCall(name: "tasks.add", args: [.int($0), 1]), BatchCall(name: "tasks.fragile", args: [false])]
        })
        for id in warmUp { _ = try await app.waitForRecord(id, timeout: .seconds(30)) }
        var adds: [String] = []
        var crashes: [String] = []
        for round in 0..<5 {
            let ids = try await app.sendBatch([BatchCall(name: "tasks.fragile", args: [true])]
                + (0..<10).map { BatchCall(name: "tasks.add", args: [.int(round), .int($0)]) })
            crashes.append(ids[0])
            adds.append(contentsOf: ids.dropFirst())
        }
        for id in crashes {
            #expect(try await app.waitForRecord(id, timeout: .seconds(30)).exception?.type == "WorkerLostError")
        }
        for id in adds {
            #expect(try await app.waitForRecord(id, timeout: .seconds(30)).status == .success, "task \(id) was lost with the crash")
        }
        #expect(worker.log.components(separatedBy: "raised unexpected: WorkerLostError").count - 1 == crashes.count,
                "only the tasks that trapped fail")
        #expect(worker.log.contains("Taking back"), "adds should have waited in the child behind a crash")
    }

    @Test("a result key Redis refuses costs only that task's result, not the others written with it")
    func refusedResultKey() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let blocked = "blocked-result-key"
        try TestRedis.command(url, RedisCommand("LPUSH", CeleryKeys.result(blocked), "not a result"))
        let ids = try await app.sendBatch([BatchCall(name: "tasks.add", args: [1, 1], options: SendOptions(taskID: blocked))]
            + (0..<20).map { BatchCall(name: "tasks.add", args: [.int($0), 1]) })
        for id in ids.dropFirst() {
            #expect(try await app.waitForRecord(id, timeout: .seconds(20)).status == .success)
        }
        #expect(try await TestRedis.waitUntil(timeout: 10) { worker.log.contains("Redis refused to store results under celery-task-meta-\(blocked)") })
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
    }

    @Test("taskq call --wait prints the result")
    func cliCall() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let output = try runCLI(["call", "tasks.add", "--args", "[2,3]", "--wait", "--broker", url.unmasked])
        #expect(output.status == 0)
        #expect(output.stdout == "5\n")
        let failed = try runCLI(["call", "tasks.fail", "--args", #"["nope"]"#, "--wait", "--broker", url.unmasked])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("DemoError: nope"))
        let id = try runCLI(["call", "tasks.mul", "--args", "[3,4]", "--broker", url.unmasked]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let waited = try runCLI(["result", id, "--wait", "--broker", url.unmasked])
        #expect(waited.stdout == "12\n")
    }

    @Test("warm shutdown lets the running task finish and exits 0")
    func warmShutdown() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.sleep.delay(1)
        _ = try await worker.waitForTask(result.id, .received)
        let status = worker.stop()
        #expect(status == 0)
        #expect(try await result.get(timeout: .seconds(5)) == 1)
        #expect(worker.log.contains("Warm shutdown"))
    }

    @Test("a warm shutdown that outlasts --shutdown-timeout turns cold, gives the task back and exits")
    func warmShutdownTimesOut() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--shutdown-timeout", "1"])
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.sleep.delay(30)
        _ = try await worker.waitForTask(result.id, .received)
        let started = Date()
        _ = worker.stop(timeout: 20)
        #expect(Date().timeIntervalSince(started) < 20, "the worker did not exit")
        #expect(worker.log.contains("Shutdown timeout (1.0s) reached"))
        #expect(worker.log.contains("Cold shutdown"))
        #expect(worker.log.contains("Gave back running task tasks.sleep[\(result.id)]"))
    }
}

/// Runs the `taskq` CLI and captures its output.
func runCLI(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try WorkerProcess.executable("taskq"))
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

import Foundation
import Testing
import TaskQ
import TaskQTestSupport

@Suite("Monitor HTTP API over real HTTP (needs Redis, a worker and the monitor)", .serialized)
struct MonitorAPITests {
    @Test("every route returns Flower's shape, and unknown ids give 404")
    func routes() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2"], name: "api")
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        let tasks = ExampleTasks(url: url)
        let added = try await tasks.add.delay(2, 3)
        #expect(try await added.get(timeout: .seconds(20)) == 5)
        let failed = try await tasks.fail.delay("bad")
        _ = try await failed.get(timeout: .seconds(20), propagate: false)
        _ = try await TestRedis.waitUntil { (try HTTP.get("\(monitor.base)/api/task/info/\(failed.id)").json?["state"]) == "FAILURE" }

        // Per-task totals travel with the worker's heartbeat (every 2 s): wait for the next one.
        var workers: JSONValue = .null
        _ = try await TestRedis.waitUntil {
            workers = try HTTP.get("\(monitor.base)/api/workers").json ?? .null
            return workers.objectValue?.values.contains { $0["stats"]?["total"]?["tasks.add"] != nil } == true
        }
        let node = try #require(workers.objectValue?.keys.first { $0.hasPrefix("api@") })
        #expect(workers[node]?["stats"]?["total"]?["tasks.add"] == 1)
        #expect(workers[node]?["registered"]?.arrayValue?.contains("tasks.add") == true)
        #expect(workers[node]?["active_queues"]?[0]?["name"] == "celery")
        #expect(workers[node]?["timestamp"]?.doubleValue != nil)
        #expect(try HTTP.get("\(monitor.base)/api/workers?status=true").json?[node] == true)
        #expect(try HTTP.get("\(monitor.base)/api/workers?workername=nobody@nowhere").status == 404)

        let list = try #require(try HTTP.get("\(monitor.base)/api/tasks?limit=10").json?.objectValue)
        #expect(list.count == 2)
        let info = try #require(list[added.id])
        for field in ["uuid", "name", "state", "received", "started", "succeeded", "args", "kwargs", "result", "runtime", "worker", "retries", "root_id"] {
            #expect(info[field] != nil, "task field \(field) missing")
        }
        #expect(info["state"] == "SUCCESS")
        #expect(info["result"] == "5")
        #expect(info["args"] == "(2, 3)")
        #expect(info["worker"]?.stringValue == node)
        let filtered = try #require(try HTTP.get("\(monitor.base)/api/tasks?state=FAILURE").json?.objectValue)
        #expect(Array(filtered.keys) == [failed.id])
        #expect(try HTTP.get("\(monitor.base)/api/tasks?taskname=tasks.add").json?.objectValue?.keys.first == added.id)
        #expect(try HTTP.get("\(monitor.base)/api/tasks?search=bad").json?.objectValue?.keys.first == failed.id)
        #expect(try HTTP.get("\(monitor.base)/api/tasks?sort_by=bogus").status == 400)
        #expect(try HTTP.get("\(monitor.base)/api/tasks?limit=many").status == 400)

        let detail = try HTTP.get("\(monitor.base)/api/task/info/\(failed.id)")
        #expect(detail.json?["exception"] == "DemoError('bad')")
        #expect(detail.json?["traceback"]?.stringValue?.contains("tasks.DemoError: bad") == true)
        #expect(try HTTP.get("\(monitor.base)/api/task/info/no-such-id").status == 404)

        let result = try #require(try HTTP.get("\(monitor.base)/api/task/result/\(added.id)").json)
        #expect(result == ["task-id": .string(added.id), "state": "SUCCESS", "result": 5])
        let failure = try #require(try HTTP.get("\(monitor.base)/api/task/result/\(failed.id)").json)
        #expect(failure["state"] == "FAILURE")
        #expect(failure["traceback"]?.stringValue != nil)
        #expect(try HTTP.get("\(monitor.base)/api/task/result/no-such-id").status == 404)

        let types = try #require(try HTTP.get("\(monitor.base)/api/task/types").json?["task-types"]?.arrayValue)
        #expect(types.contains("tasks.add"))
        #expect(types.contains("tasks.fail"))

        let sent = try #require(try HTTP.request("POST", "\(monitor.base)/api/task/async-apply/tasks.mul",
                                                 headers: ["Content-Type": "application/json"], body: #"{"args": [6, 7]}"#).json)
        #expect(sent["state"] == "PENDING")
        let sentID = try #require(sent["task-id"]?.stringValue)
        #expect(try await tasks.app.asyncResult(sentID, as: Int.self).get(timeout: .seconds(20)) == 42)
        let byName = try HTTP.request("POST", "\(monitor.base)/api/task/send-task/tasks.add", body: #"{"args": [1, 1]}"#)
        #expect(byName.json?["task-id"]?.stringValue != nil)
        #expect(try HTTP.request("POST", "\(monitor.base)/api/task/async-apply/tasks.unknown", body: "{}").status == 404)
        #expect(try HTTP.request("POST", "\(monitor.base)/api/task/async-apply/tasks.add", body: #"{"args": 5}"#).status == 400)

        let queues = try #require(try HTTP.get("\(monitor.base)/api/queues/length").json)
        #expect(queues["active_queues"]?[0]?["name"] == "celery")
        #expect(queues["active_queues"]?[0]?["messages"]?.intValue != nil)

        let limit = try HTTP.request("POST", "\(monitor.base)/api/task/rate-limit/tasks.add", body: "workername=\(node)&ratelimit=100/s")
        #expect(limit.json == ["message": "new rate limit set successfully"])
        #expect(try HTTP.request("POST", "\(monitor.base)/api/task/rate-limit/tasks.add", body: "ratelimit=1/s").status == 400)
        let timeout = try HTTP.request("POST", "\(monitor.base)/api/task/timeout/tasks.add", body: "workername=\(node)&hard=30&soft=20")
        #expect(timeout.json == ["message": "time limits set successfully"])
        let grow = try HTTP.request("POST", "\(monitor.base)/api/worker/pool/grow/\(node)", body: "n=1")
        #expect(grow.json == ["message": .string("Growing '\(node)' worker's pool by 1")])
        _ = try await TestRedis.waitUntil { worker.log.contains("Pool grew by 1 to 3 children") }
        let shrink = try HTTP.request("POST", "\(monitor.base)/api/worker/pool/shrink/\(node)", body: "n=1")
        #expect(shrink.json == ["message": .string("Shrinking '\(node)' worker's pool by 1")])
        #expect(try HTTP.request("POST", "\(monitor.base)/api/worker/pool/grow/nobody@nowhere").status == 404)

        let spin = try await tasks.spin.delay(30)
        _ = try await worker.waitForTask(spin.id, .received)
        let revoke = try HTTP.request("POST", "\(monitor.base)/api/task/revoke/\(spin.id)?terminate=true")
        #expect(revoke.json == ["message": .string("Revoked '\(spin.id)'")])
        #expect(try await spin.get(timeout: .seconds(20), propagate: false).failure?.state == .revoked)

        #expect(try HTTP.get("\(monitor.base)/healthcheck").body == "OK")
        let metrics = try HTTP.get("\(monitor.base)/metrics").body
        #expect(metrics.contains("taskq_queue_length{queue=\"celery\"}"))
        #expect(metrics.contains("# TYPE flower_events_total counter"))
        #expect(metrics.contains("flower_events_total{task=\"tasks.mul\",type=\"task-succeeded\",worker=\"\(node)\"}"))
        #expect(metrics.contains("flower_task_runtime_seconds_bucket"))
        #expect(metrics.contains("flower_worker_online{worker=\"\(node)\"} 1.0"))

        let shutdown = try HTTP.request("POST", "\(monitor.base)/api/worker/shutdown/\(node)")
        #expect(shutdown.json == ["message": "Shutting down!"])
        _ = try await TestRedis.waitUntil(timeout: 20) { !worker.process.isRunning }
        #expect(!worker.process.isRunning)
        _ = try await TestRedis.waitUntil(timeout: 10) { try HTTP.get("\(monitor.base)/api/workers?status=true").json?[node] == false }
        #expect(try HTTP.get("\(monitor.base)/api/workers?status=true").json?[node] == false)
    }

    @Test("with --basic-auth every page and API route needs credentials; cross-site POSTs are refused")
    func authentication() async throws {
        let url = try TestRedis.freshDatabase()
        let monitor = try MonitorProcess(url: url, arguments: ["--basic-auth", "admin:s3cret"])
        defer { monitor.stop() }
        let routes = ["/", "/workers", "/tasks", "/queues", "/api/workers", "/api/tasks", "/api/task/types", "/api/queues/length",
                      "/static/taskq.js", "/events"]
        for route in routes where route != "/events" {
            let anonymous = try HTTP.get("\(monitor.base)\(route)")
            #expect(anonymous.status == 401, "\(route) without credentials gave \(anonymous.status)")
            #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Basic") == true)
            #expect(try HTTP.get("\(monitor.base)\(route)", user: "admin:wrong").status == 401)
            #expect(try HTTP.get("\(monitor.base)\(route)", user: "admin:s3cret").status == 200, "\(route) with credentials")
        }
        #expect(try HTTP.get("\(monitor.base)/events").status == 401)
        #expect(try HTTP.request("POST", "\(monitor.base)/api/task/send-task/tasks.add", body: "{}").status == 401)
        #expect(try HTTP.get("\(monitor.base)/healthcheck").status == 200)
        let crossSite = try HTTP.request("POST", "\(monitor.base)/api/task/send-task/tasks.add",
                                         headers: ["Origin": "http://evil.example", "Content-Type": "application/json"],
                                         body: #"{"args": [1, 2]}"#, user: "admin:s3cret")
        #expect(crossSite.status == 403)
        #expect(crossSite.json?["error"]?.stringValue?.contains("cross-site") == true)
        let fetchSite = try HTTP.request("POST", "\(monitor.base)/api/dead-letters/purge", headers: ["Sec-Fetch-Site": "cross-site"], user: "admin:s3cret")
        #expect(fetchSite.status == 403)
        let sameOrigin = try HTTP.request("POST", "\(monitor.base)/api/task/send-task/tasks.add",
                                          headers: ["Origin": monitor.base, "Sec-Fetch-Site": "same-origin"], body: #"{"args": [1, 2]}"#, user: "admin:s3cret")
        #expect(sameOrigin.status == 200)
        #expect(!(try HTTP.get("\(monitor.base)/", user: "admin:s3cret").body.contains("s3cret")))
    }

    @Test("the monitor refuses a public address without auth")
    func refusesUnsafeBind() throws {
        let url = try TestRedis.freshDatabase()
        do {
            let monitor = try MonitorProcess(url: url, arguments: ["--address", "0.0.0.0"])
            monitor.stop()
            Issue.record("the monitor started on 0.0.0.0 without auth")
        } catch let error as TestSetupError {
            #expect(error.description.contains("without authentication"))
        }
    }

    @Test("history lives in Redis: 200 tasks run while the monitor is down are all listed, across restarts")
    func restartKeepsHistory() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2"], name: "hist")
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        var calls: [BatchCall] = []
        for index in 0..<200 {
            if index % 10 == 0 {
                calls.append(BatchCall(name: "tasks.fail", args: [.string("boom \(index)")]))
            } else {
                calls.append(BatchCall(name: "tasks.add", args: [.int(index), .int(1)]))
            }
        }
        let ids = try await app.sendBatch(calls)
        for id in ids { _ = try await app.waitForRecord(id, timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(500))
        for round in 1...2 {
            let monitor = try MonitorProcess(url: url)
            let listed = try #require(try HTTP.get("\(monitor.base)/api/tasks?limit=1000").json?.objectValue, "round \(round)")
            #expect(listed.count == 200, "round \(round): \(listed.count) tasks listed")
            #expect(Set(listed.keys) == Set(ids))
            #expect(listed.values.filter { $0["state"] == "FAILURE" }.count == 20)
            #expect(listed.values.filter { $0["state"] == "SUCCESS" }.count == 180)
            monitor.stop()
        }
    }

    @Test("a page subscribed to the event stream hears a task finish within 1 s")
    func liveEvents() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"], name: "live")
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        let stream = try EventStreamReader(url: "\(monitor.base)/events")
        defer { stream.stop() }
        _ = try await TestRedis.waitUntil(timeout: 10) { stream.text.contains(": connected") }
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.add.delay(20, 22)
        #expect(try await result.get(timeout: .seconds(20)) == 42)
        let finished = Date()
        let heard = try await TestRedis.waitUntil(timeout: 5) { stream.text.contains("\"uuid\":\"\(result.id)\"") && stream.text.contains("task-succeeded") }
        #expect(heard)
        let lag = stream.firstSeen(containing: "task-succeeded").map { $0.timeIntervalSince(finished) } ?? 99
        #expect(lag < 1, "the SSE event came \(lag) s after the result")
    }
}

/// Reads a Server-Sent Events stream with `curl -N`, remembering when each chunk arrived.
final class EventStreamReader: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var chunks: [(Date, String)] = []

    init(url: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sN", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.chunks.append((Date(), String(decoding: data, as: UTF8.self))) }
        }
        try process.run()
    }

    var text: String { lock.withLock { chunks.map(\.1).joined() } }

    func firstSeen(containing needle: String) -> Date? {
        lock.withLock { chunks.first { $0.1.contains(needle) }?.0 }
    }

    /// Ends curl with SIGKILL: a process started from a test thread inherits that thread's blocked SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

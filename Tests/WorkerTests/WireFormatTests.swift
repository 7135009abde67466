import Foundation
import Testing
@testable import TaskQ
import TaskQTestSupport

@Suite("Celery wire format on a real Redis (needs Redis and child processes)", .serialized)
struct WireFormatTests {
    /// `add.delay(2, 3)` exactly as Celery 5.7 published it (celery-wire.md §1.2), with a fresh id and tag.
    static func celeryEnvelope(id: String, tag: String) -> String {
        """
        {"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", \
        "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", \
        "id": "\(id)", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, \
        "timelimit": [null, null], "root_id": "\(id)", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", \
        "origin": "gen7858@vm", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, \
        "properties": {"correlation_id": "\(id)", "reply_to": "58101a2d-8f28-3b06-bd46-93ecb406e34b", "delivery_mode": 2, \
        "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", \
        "delivery_tag": "\(tag)"}}
        """
    }

    @Test("the envelope the client writes has Celery's v2 headers, properties and base64 body")
    func clientEnvelope() async throws {
        let url = try TestRedis.freshDatabase()
        let tasks = ExampleTasks(url: url, queue: "wire")
        let result = try await tasks.add.applyAsync(2, 3, options: SendOptions(countdown: .seconds(60), expiresIn: .seconds(120), headers: ["x-custom": "hello"]))
        let stored = try TestRedis.command(url, RedisCommand("LRANGE", "wire", 0, -1)).array ?? []
        #expect(stored.count == 1)
        let envelope = try JSONValue.parse(stored[0].bytes ?? [])
        #expect(envelope["content-type"] == "application/json")
        #expect(envelope["content-encoding"] == "utf-8")
        let headers = try #require(envelope["headers"]?.objectValue)
        for field in ["lang", "task", "id", "root_id", "parent_id", "group", "retries", "eta", "expires", "timelimit",
                      "argsrepr", "kwargsrepr", "origin", "ignore_result", "shadow", "group_index"] {
            #expect(headers.keys.contains(field), "header \(field) missing")
        }
        #expect(headers["lang"] == "py")
        #expect(headers["task"] == "tasks.add")
        #expect(headers["id"]?.stringValue == result.id)
        #expect(headers["root_id"]?.stringValue == result.id)
        #expect(headers["parent_id"] == .null)
        #expect(headers["retries"] == 0)
        #expect(headers["timelimit"] == [nil, nil])
        #expect(headers["argsrepr"] == "(2, 3)")
        #expect(headers["kwargsrepr"] == "{}")
        #expect(headers["ignore_result"] == false)
        #expect(headers["x-custom"] == "hello")
        #expect(headers["origin"]?.stringValue?.hasPrefix("gen") == true)
        let eta = try #require(headers["eta"]?.stringValue.flatMap(CeleryTime.parse))
        #expect(abs(eta.timeIntervalSinceNow - 60) < 5)
        #expect(headers["eta"]?.stringValue?.hasSuffix("+00:00") == true)
        #expect(headers["expires"]?.stringValue.flatMap(CeleryTime.parse) != nil)
        let properties = try #require(envelope["properties"]?.objectValue)
        #expect(properties["correlation_id"]?.stringValue == result.id)
        #expect(properties["delivery_mode"] == 2)
        #expect(properties["delivery_info"] == ["exchange": "", "routing_key": "wire"])
        #expect(properties["priority"] == 0)
        #expect(properties["body_encoding"] == "base64")
        #expect(properties["delivery_tag"]?.stringValue?.count == 36)
        let body = try #require(envelope["body"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        let decoded = try JSONValue.parse(Array(body))
        #expect(decoded == [[2, 3], [:], ["callbacks": nil, "errbacks": nil, "chain": nil, "chord": nil]])
    }

    @Test("priority 5 goes to the step-3 list and priority 9 to step 9, as kombu routes them")
    func priorityLists() async throws {
        let url = try TestRedis.freshDatabase()
        let tasks = ExampleTasks(url: url, queue: "prio")
        _ = try await tasks.add.applyAsync(1, 1, options: SendOptions(priority: 5))
        _ = try await tasks.add.applyAsync(1, 1, options: SendOptions(priority: 9))
        #expect(try TestRedis.command(url, RedisCommand("LLEN", "prio\u{06}\u{16}3")).integer == 1)
        #expect(try TestRedis.command(url, RedisCommand("LLEN", "prio\u{06}\u{16}9")).integer == 1)
    }

    @Test("a message exactly as Celery publishes it runs, and its record has the shape a Celery client reads")
    func celeryPublishedMessage() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let id = UUID().uuidString.lowercased()
        try TestRedis.command(url, RedisCommand("LPUSH", "celery", Self.celeryEnvelope(id: id, tag: UUID().uuidString.lowercased())))
        let app = App("tests", broker: url.unmasked)
        #expect(try await app.asyncResult(id, as: Int.self).get(timeout: .seconds(20)) == 5)
        let raw = try #require(try TestRedis.command(url, RedisCommand("GET", CeleryKeys.result(id))).bytes)
        let record = try JSONValue.parse(raw)
        #expect(Set(record.objectValue?.keys ?? [:].keys) == ["status", "result", "traceback", "children", "date_done", "task_id"])
        #expect(record["status"] == "SUCCESS")
        #expect(record["result"] == 5)
        #expect(record["traceback"] == .null)
        #expect(record["children"] == [])
        #expect(record["task_id"]?.stringValue == id)
        let dateDone = try #require(record["date_done"]?.stringValue)
        #expect(dateDone.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$"#, options: .regularExpression) != nil)
        let ttl = try TestRedis.command(url, RedisCommand("TTL", CeleryKeys.result(id))).integer ?? 0
        #expect(ttl > 86_000 && ttl <= 86_400)
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
        #expect(try TestRedis.command(url, RedisCommand("ZCARD", CeleryKeys.unackedIndex)).integer == 0)
    }

    @Test("a FAILURE record carries exc_type, exc_message and exc_module, and a traceback")
    func failureRecord() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.fail.delay("bad input")
        _ = try await result.get(timeout: .seconds(20), propagate: false)
        let record = try JSONValue.parse(try TestRedis.command(url, RedisCommand("GET", CeleryKeys.result(result.id))).bytes ?? [])
        #expect(record["status"] == "FAILURE")
        #expect(record["result"] == ["exc_type": "DemoError", "exc_message": ["bad input"], "exc_module": "tasks"])
        #expect(record["traceback"]?.stringValue?.contains("tasks.DemoError: bad input") == true)
        #expect(record["date_done"]?.stringValue != nil)
    }

    @Test("a claimed message is recorded in unacked/unacked_index the way kombu records it, until acked")
    func unackedBookkeeping() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--acks-late"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.sleep.delay(1.5)
        let seen = try await TestRedis.waitUntil { try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 1 }
        #expect(seen)
        let entries = try TestRedis.command(url, RedisCommand("HGETALL", CeleryKeys.unacked)).array ?? []
        try #require(entries.count == 2, "one unacked entry while the task runs")
        let value = try JSONValue.parse(entries[1].bytes ?? [])
        #expect(value[0]?["headers"]?["id"]?.stringValue == result.id)
        #expect(value[1] == "")
        #expect(value[2] == "celery")
        let score = try TestRedis.command(url, RedisCommand("ZSCORE", CeleryKeys.unackedIndex, entries[0].bytes ?? [])).string.flatMap(Double.init)
        #expect(abs((score ?? 0) - Date().timeIntervalSince1970) < 10)
        #expect(try await result.get(timeout: .seconds(20)) == 1.5)
        let cleared = try await TestRedis.waitUntil { try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0 }
        #expect(cleared)
    }
}

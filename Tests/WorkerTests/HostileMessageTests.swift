import Foundation
import Testing
@testable import TaskQ
import TaskQTestSupport

/// Messages any sender could write into a queue, which once trapped a child or lost a task.
@Suite("Hostile messages: out-of-range limits, bad delivery tags, bad times, bad bytes (needs Redis and child processes)", .serialized)
struct HostileMessageTests {
    /// A kombu-layout envelope for `name(args)`, as Celery and TaskQ's client write it.
    static func envelope(_ name: String, _ args: [JSONValue], id: String = UUID().uuidString.lowercased(),
                         tag: String = UUID().uuidString.lowercased(), headers: [String: JSONValue] = [:],
                         softLimit: Double? = nil, hardLimit: Double? = nil) -> [UInt8] {
        var fields = EnvelopeWriter.Fields(name: name, id: id, deliveryTag: tag, args: args, kwargs: [:],
                                           queue: "celery", origin: "tests")
        fields.extraHeaders = headers
        fields.timeLimits = (hardLimit, softLimit)
        return EnvelopeWriter.plainEnvelope(fields)
    }

    static func push(_ url: RedisURL, _ envelope: [UInt8]) throws {
        try TestRedis.command(url, RedisCommand("LPUSH", "celery", envelope))
    }

    static func deadLetters(_ url: RedisURL) throws -> [JSONValue] {
        try (TestRedis.command(url, RedisCommand("LRANGE", CeleryKeys.deadLetters, 0, -1)).array ?? [])
            .map { try JSONValue.parse($0.bytes ?? []) }
    }

    @Test("soft and hard time limits of Infinity, 1e20 and 1e300 run the task, and the child serves the next one")
    func hugeTimeLimits() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        var ids: [String] = []
        for (soft, hard) in [(Double.infinity, nil), (1e20, nil), (nil, 1e300), (-1, .nan)] as [(Double?, Double?)] {
            let id = UUID().uuidString.lowercased()
            try Self.push(url, Self.envelope("tasks.add", [1, 2], id: id, softLimit: soft, hardLimit: hard))
            ids.append(id)
        }
        // Before the fix the child trapped right after a task with such a limit: the next task failed.
        let next = try await app.sendTask("tasks.sleep", args: [0.3])
        for id in ids {
            let record = try await app.waitForRecord(id, timeout: .seconds(20))
            #expect(record.status == .success, "\(record)")
        }
        #expect(try await next.get(timeout: .seconds(20)) == 0.3)
        #expect(!worker.log.contains("WorkerLostError"))
        #expect(worker.log.contains("soft time limit inf s is beyond the longest limit"))
    }

    @Test("messages with an empty delivery tag go to the dead-letter list, each with its reason, none left in unacked")
    func emptyDeliveryTag() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let ids = (0..<3).map { _ in UUID().uuidString.lowercased() }
        for id in ids { try Self.push(url, Self.envelope("tasks.add", [1, 1], id: id, tag: "")) }
        let tasks = ExampleTasks(url: url)
        #expect(try await tasks.add.delay(2, 2).get(timeout: .seconds(20)) == 4)
        let dead = try Self.deadLetters(url)
        #expect(dead.count == 3)
        for id in ids {
            #expect(dead.contains { ($0["raw"]?.stringValue ?? "").contains(id) && ($0["reason"]?.stringValue ?? "").contains("empty") })
        }
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
        #expect(worker.log.contains("properties.delivery_tag is empty"))
    }

    @Test("a header named delivery_tag does not key the ack bookkeeping: five acks-late tasks sharing one survive a SIGKILLed worker")
    func deliveryTagHeader() async throws {
        let url = try TestRedis.freshDatabase()
        let arguments = ["-c", "1", "--acks-late", "--visibility-timeout", "3", "--prefetch-multiplier", "8"]
        let first = try WorkerProcess(url: url, arguments: arguments, name: "tagheader1")
        let app = App("tests", broker: url.unmasked)
        var ids: [String] = []
        for _ in 0..<5 {
            let id = UUID().uuidString.lowercased()
            try Self.push(url, Self.envelope("tasks.sleep", [0.6], id: id, headers: ["delivery_tag": "x"]))
            ids.append(id)
        }
        // Laid out by TaskMessage.envelope() (sorted keys, delivery_tag not last): the decoding path.
        var sorted = TaskMessage.make(name: "tasks.sleep", id: UUID().uuidString.lowercased(), args: [0.6], kwargs: [:],
                                      queue: "celery", origin: "tests", extraHeaders: ["delivery_tag": "x"])
        sorted.properties["delivery_tag"] = .string("sorted-layout-tag")
        try Self.push(url, sorted.envelope())
        ids.append(sorted.id)
        _ = try await TestRedis.waitUntil(timeout: 20) {
            (try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer ?? 0) == ids.count
        }
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == ids.count,
                "each delivery has its own unacked entry")
        #expect(try TestRedis.command(url, RedisCommand("HEXISTS", CeleryKeys.unacked, "x")).integer == 0)
        #expect(try TestRedis.command(url, RedisCommand("HEXISTS", CeleryKeys.unacked, "sorted-layout-tag")).integer == 1)
        let second = try first.killAndReplace(name: "tagheader2")
        defer { second.stop() }
        for id in ids {
            #expect(try await app.waitForRecord(id, timeout: .seconds(40)).status == .success)
        }
        #expect(try Self.deadLetters(url).isEmpty)
        #expect(try await TestRedis.waitUntil(timeout: 10) {
            try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0
        })
    }

    @Test("the same envelope sent twice runs once; the copy that would share its delivery tag is dead-lettered with the reason")
    func duplicateDeliveryTag() async throws {
        let url = try TestRedis.freshDatabase()
        let id = UUID().uuidString.lowercased()
        let message = Self.envelope("tasks.add", [20, 22], id: id, tag: "twice")
        try Self.push(url, message)
        try Self.push(url, message)
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--acks-late"])
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        #expect(try await app.waitForRecord(id, timeout: .seconds(20)).status == .success)
        #expect(try await TestRedis.waitUntil { try Self.deadLetters(url).count == 1 })
        let dead = try Self.deadLetters(url)
        #expect(dead.first?["reason"]?.stringValue?.contains("already held by another delivery") == true)
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
    }

    @Test("eta and expires outside the calendar, and headers of the wrong type, are dead-lettered with the header named")
    func outOfRangeHeaders() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let cases: [(headers: [String: JSONValue], named: String)] = [
            (["eta": "9999-99-99T99:99:99"], "'eta'"),
            (["eta": "2024-13-45T25:61:61Z"], "'eta'"),
            (["expires": .int(12)], "'expires'"),
            (["retries": .int(-5)], "'retries'"),
            (["retries": .double(1e300)], "'retries'"),
        ]
        var ids: [String] = []
        for item in cases {
            let id = UUID().uuidString.lowercased()
            var message = try TaskMessage(envelope: Self.envelope("tasks.add", [1, 1], id: id))
            for (name, value) in item.headers { message.headers[name] = value }
            try Self.push(url, message.envelope())
            ids.append(id)
        }
        let tasks = ExampleTasks(url: url)
        #expect(try await tasks.add.delay(3, 3).get(timeout: .seconds(20)) == 6)
        #expect(try await TestRedis.waitUntil { try Self.deadLetters(url).count == cases.count })
        let dead = try Self.deadLetters(url)
        for (id, item) in zip(ids, cases) {
            let entry = dead.first { ($0["raw"]?.stringValue ?? "").contains(id) }
            #expect(entry?["reason"]?.stringValue?.contains("header \(item.named)") == true, "\(item.headers): \(String(describing: entry))")
            #expect(try TestRedis.command(url, RedisCommand("EXISTS", CeleryKeys.result(id))).integer == 0, "never run")
        }
        #expect(try TestRedis.command(url, RedisCommand("ZCARD", CeleryKeys.scheduled)).integer == 0, "nothing scheduled for year 10007")
    }

    @Test("a message that is not valid UTF-8 is dead-lettered as valid JSON, its bytes kept in raw_base64")
    func invalidUTF8() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let id = "bad-\u{E9}-id"
        var bytes = Self.envelope("tasks.add", [1, 1], id: id)
        // Cut the two-byte é in the id to its lead byte alone: the id is no longer UTF-8.
        let marker = Array("bad-".utf8)
        let start = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<$0 + marker.count]) == marker }!
        bytes.remove(at: start + marker.count + 1)
        try Self.push(url, bytes)
        let tasks = ExampleTasks(url: url)
        #expect(try await tasks.add.delay(4, 4).get(timeout: .seconds(20)) == 8)
        #expect(try await TestRedis.waitUntil { try Self.deadLetters(url).count == 1 })
        let entry = try #require(try Self.deadLetters(url).first)
        #expect(entry["raw"] == .null)
        #expect(entry["reason"]?.stringValue?.contains("not valid UTF-8") == true)
        let kept = try #require(entry["raw_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        #expect(Array(kept) == bytes)
        #expect(try TestRedis.command(url, RedisCommand("KEYS", "celery-task-meta-*")).array?.count == 1, "only the valid task stored a result")
    }
}

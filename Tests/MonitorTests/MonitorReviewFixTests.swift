import Foundation
import Testing
import TaskQ
import TaskQTestSupport
@testable import TaskQMonitor

@Suite("Monitor review fixes over real HTTP (needs Redis, a worker and the monitor)", .serialized)
struct MonitorReviewFixTests {
    @Test("worker names with '@' work percent-encoded, as the dashboard links and buttons send them")
    func encodedWorkerNames() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"], name: "enc")
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        var node = ""
        _ = try await TestRedis.waitUntil { node = try HTTP.get("\(monitor.base)/api/workers").json?.objectValue?.keys.first ?? ""; return !node.isEmpty }
        #expect(node.hasPrefix("enc@"))
        let encoded = node.replacingOccurrences(of: "@", with: "%40")

        // The Workers page links to the encoded path, and following it shows the worker.
        let workers = try HTTP.get("\(monitor.base)/workers").body
        #expect(workers.contains("href=\"/worker/\(encoded)\""))
        let page = try HTTP.get("\(monitor.base)/worker/\(encoded)")
        #expect(page.status == 200, "GET /worker/\(encoded) gave \(page.status): \(page.body)")
        #expect(page.body.contains("data-action=\"/api/worker/pool/grow/\(encoded)\""))

        // The button's action, exactly as the page wrote it.
        let grow = try HTTP.request("POST", "\(monitor.base)/api/worker/pool/grow/\(encoded)", body: "n=1")
        #expect(grow.status == 200, "pool grow gave \(grow.status): \(grow.body)")
        #expect(grow.json == ["message": .string("Growing '\(node)' worker's pool by 1")])
        let limit = try HTTP.request("POST", "\(monitor.base)/api/task/rate-limit/tasks.add",
                                     body: "workername=\(encoded)&ratelimit=50%2Fs")
        #expect(limit.status == 200, "rate limit gave \(limit.status): \(limit.body)")

        // Task pages link to their worker the same way.
        let tasks = ExampleTasks(url: url)
        let added = try await tasks.add.delay(1, 2)
        #expect(try await added.get(timeout: .seconds(20)) == 3)
        _ = try await TestRedis.waitUntil { try HTTP.get("\(monitor.base)/api/task/info/\(added.id)").json?["state"] == "SUCCESS" }
        #expect(try HTTP.get("\(monitor.base)/task/\(added.id)").body.contains("href=\"/worker/\(encoded)\""))
        #expect(try HTTP.get("\(monitor.base)/api/tasks?workername=\(encoded)").json?.objectValue?.keys.first == added.id)
    }

    @Test("query values are decoded once, '+' is a space, and a GET search form for 'a b' finds the task")
    func queryDecoding() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"], name: "query")
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        let app = App("tests", broker: url.unmasked)
        let spaced = try await app.sendTask("tasks.echo", kwargs: ["text": "hello world"])
        let literal = try await app.sendTask("tasks.echo", kwargs: ["text": "rate 100%41 done"])
        for id in [spaced.id, literal.id] { _ = try await app.waitForRecord(id, timeout: .seconds(20)) }
        _ = try await TestRedis.waitUntil { try HTTP.get("\(monitor.base)/api/tasks").json?.objectValue?.count == 2 }

        // What a browser sends for <form method=get> with "hello world" typed in.
        let form = try HTTP.get("\(monitor.base)/tasks?state=&taskname=&workername=&search=hello+world")
        #expect(form.status == 200)
        #expect(form.body.contains("data-uuid=\"\(spaced.id)\""))
        #expect(!form.body.contains("data-uuid=\"\(literal.id)\""))
        #expect(form.body.contains("value=\"hello world\""))
        #expect(try HTTP.get("\(monitor.base)/api/tasks?search=hello+world").json?.objectValue.map { Array($0.keys) } == [spaced.id])
        // "%2541" is "%41" once decoded; decoding twice would turn it into "A".
        #expect(try HTTP.get("\(monitor.base)/api/tasks?search=100%2541").json?.objectValue.map { Array($0.keys) } == [literal.id])
        #expect(RequestInput.formDecoded("a+b=c%2Bd&e=%25&f") == ["a b": "c+d", "e": "%", "f": ""])
    }

    @Test("control actions that fail say so with 404 for an unknown task or worker and 504 when no worker replies")
    func controlFailures() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"], name: "ctl")
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        var node = ""
        _ = try await TestRedis.waitUntil { node = try HTTP.get("\(monitor.base)/api/workers").json?.objectValue?.keys.first ?? ""; return !node.isEmpty }

        let unknownTask = try HTTP.request("POST", "\(monitor.base)/api/task/rate-limit/tasks.nope", body: "workername=\(node)&ratelimit=1/s")
        #expect(unknownTask.status == 404, "\(unknownTask.status): \(unknownTask.body)")
        #expect(unknownTask.json?["error"]?.stringValue?.contains("tasks.nope") == true)
        let unknownTimeout = try HTTP.request("POST", "\(monitor.base)/api/task/timeout/tasks.nope", body: "workername=\(node)&hard=5")
        #expect(unknownTimeout.status == 404, "\(unknownTimeout.status): \(unknownTimeout.body)")
        #expect(try HTTP.request("POST", "\(monitor.base)/api/task/rate-limit/tasks.add", body: "workername=nobody@nowhere&ratelimit=1/s").status == 404)

        // A worker that recorded a status but is gone: nobody answers the control message.
        let ghost = "ghost@nowhere"
        let status: JSONValue = ["hostname": .string(ghost), "timestamp": .double(Date().timeIntervalSince1970), "freq": 2.0]
        try TestRedis.command(url, RedisCommand("HSET", HistoryKeys.workers, ghost, status.jsonText))
        for path in ["/api/task/rate-limit/tasks.add", "/api/task/timeout/tasks.add", "/api/worker/pool/grow/ghost%40nowhere"] {
            let reply = try HTTP.request("POST", "\(monitor.base)\(path)", body: "workername=\(ghost)&ratelimit=1/s&hard=5")
            #expect(reply.status == 504, "\(path) gave \(reply.status): \(reply.body)")
            #expect(reply.json?["error"]?.stringValue?.contains("no reply from worker 'ghost@nowhere'") == true, "\(path): \(reply.body)")
        }
    }

    @Test("filtered listings read the indexes: combined filters see past the newest 20,000 tasks; limit=0 lists all")
    func indexedListings() async throws {
        let url = try TestRedis.freshDatabase()
        // One old failed tasks.fail, recorded as the worker records it, then 20,000 newer failures
        // (of other tasks): a scan of the newest 20,000 in any one index would miss the old one.
        let old = 1_000_000.0
        let connection = try RedisConnection(url: url)
        defer { connection.close() }
        _ = try connection.pipeline([
            RedisCommand("SET", HistoryKeys.task("old-failure"), TaskHistoryJSON.encode([(.uuid, "old-failure"), (.name, "tasks.fail"),
                         (.state, "FAILURE"), (.worker, "w@h"), (.received, String(old)), (.exception, "DemoError('old')")])),
            RedisCommand("ZADD", HistoryKeys.all, old, "old-failure"),
            RedisCommand("ZADD", HistoryKeys.state("FAILURE"), old + 1, "old-failure"),
            RedisCommand("ZADD", HistoryKeys.name("tasks.fail"), old, "old-failure"),
            RedisCommand("ZADD", HistoryKeys.worker("w@h"), old, "old-failure"),
        ])
        var filler: [any RedisArgument] = []
        for index in 0..<20_000 { filler += [old + 10 + Double(index), "filler-\(index)"] }
        _ = try connection.pipeline([RedisCommand("ZADD", arguments: [HistoryKeys.all] + filler),
                                     RedisCommand("ZADD", arguments: [HistoryKeys.state("FAILURE")] + filler)]
            + (0..<20_000).map { RedisCommand("SET", HistoryKeys.task("filler-\($0)"), TaskHistoryJSON.encode([(.uuid, "filler-\($0)"),
                                              (.name, "tasks.other"), (.state, "FAILURE"), (.worker, "w@h")])) })
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }

        let both = try HTTP.get("\(monitor.base)/api/tasks?state=FAILURE&taskname=tasks.fail")
        #expect(both.json?.objectValue.map { Array($0.keys) } == ["old-failure"], "\(both.body)")
        #expect(both.headers["x-taskq-total"] == "1")
        #expect(both.headers["x-taskq-scan-limit"] == nil)
        let three = try HTTP.get("\(monitor.base)/api/tasks?state=FAILURE&taskname=tasks.fail&workername=w%40h&received_start=\(old - 1)")
        #expect(three.json?.objectValue.map { Array($0.keys) } == ["old-failure"], "\(three.body)")
        #expect(try HTTP.get("\(monitor.base)/api/tasks?state=FAILURE&received_end=\(old - 1)").json?.objectValue?.isEmpty == true)
        #expect(try HTTP.get("\(monitor.base)/api/tasks?state=FAILURE&limit=1").headers["x-taskq-total"] == "20001")
        let page = try HTTP.get("\(monitor.base)/tasks?state=FAILURE&taskname=tasks.fail")
        #expect(page.body.contains("data-uuid=\"old-failure\""))
        #expect(try HTTP.get("\(monitor.base)/api/tasks?limit=5").headers["x-taskq-total"] == "20001")
        #expect(try HTTP.get("\(monitor.base)/api/tasks?search=old").headers["x-taskq-scan-limit"] == "20000")

        // Flower: limit=0 is no limit (here: up to the 10,000 cap), not one task.
        try TestRedis.command(url, RedisCommand("DEL", HistoryKeys.all))
        _ = try connection.pipeline((0..<3).map { RedisCommand("ZADD", HistoryKeys.all, old + Double($0), "old-failure-\($0)") }
            + (0..<3).map { RedisCommand("SET", HistoryKeys.task("old-failure-\($0)"), TaskHistoryJSON.encode([(.uuid, "old-failure-\($0)"),
                                           (.name, "tasks.fail"), (.received, String(old + Double($0)))])) })
        #expect(try HTTP.get("\(monitor.base)/api/tasks?limit=0").json?.objectValue?.count == 3)
        #expect(try HTTP.get("\(monitor.base)/api/tasks?limit=-1").status == 400)
        #expect(try HTTP.get("\(monitor.base)/tasks?limit=0").status == 400)
        // The body keeps the order (a parsed JSONValue object would not).
        let ascending = try HTTP.get("\(monitor.base)/api/tasks?sort_by=received").body
        let positions = (0..<3).compactMap { ascending.range(of: "\"old-failure-\($0)\":")?.lowerBound }
        #expect(positions.count == 3 && positions == positions.sorted(), "\(ascending.prefix(300))")
    }

    @Test("times are shown as UTC with milliseconds from one shared format")
    func timeFormat() {
        #expect(HTML.time(1_780_000_000.125) == "2026-05-28 20:26:40.125")
        #expect(HTML.time(0) == "1970-01-01 00:00:00.000")
        #expect(HTML.time(nil) == "—")
    }
}

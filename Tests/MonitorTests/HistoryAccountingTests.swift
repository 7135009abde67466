import Foundation
import Testing
import TaskQ
import TaskQTestSupport

/// The monitor's history against the result records: every task of a drain is listed once,
/// in the state its result has, and the caps keep the indexes and hashes together.
@Suite("Task history accounting: every task listed once, in its result's state (needs Redis, a worker and the monitor)", .serialized)
struct HistoryAccountingTests {
    /// The `X-Taskq-Total` of a listing.
    static func total(_ monitor: MonitorProcess, _ query: String) throws -> Int {
        Int(try HTTP.get("\(monitor.base)/api/tasks?limit=1&\(query)").headers["x-taskq-total"] ?? "") ?? -1
    }

    /// The states of these tasks' result records.
    static func resultStates(_ url: RedisURL, _ ids: [String]) throws -> [String: Int] {
        let connection = try RedisConnection(url: url)
        defer { connection.close() }
        var counts: [String: Int] = [:]
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let chunk = ids[start..<min(start + 1_000, ids.count)]
            for reply in try connection.pipeline(chunk.map { RedisCommand("GET", CeleryKeys.result($0)) }) {
                let state = reply.bytes.flatMap { try? ResultRecord(bytes: $0) }?.status.rawValue ?? "MISSING"
                counts[state, default: 0] += 1
            }
        }
        return counts
    }

    /// Sizes of the history's indexes and how many task hashes there are.
    static func historySizes(_ url: RedisURL, worker: String) throws -> (all: Int, states: [String: Int], name: Int, worker: Int, hashes: Int) {
        let connection = try RedisConnection(url: url)
        defer { connection.close() }
        let all = try connection.command(RedisCommand("ZCARD", HistoryKeys.all)).integer ?? -1
        var states: [String: Int] = [:]
        for state in HistoryKeys.states {
            states[state] = try connection.command(RedisCommand("ZCARD", HistoryKeys.state(state))).integer ?? -1
        }
        let name = try connection.command(RedisCommand("ZCARD", HistoryKeys.name("tasks.add"))).integer ?? -1
        let byWorker = try connection.command(RedisCommand("ZCARD", HistoryKeys.worker(worker))).integer ?? -1
        var hashes = 0
        var cursor = "0"
        repeat {
            let reply = try connection.command(RedisCommand("SCAN", cursor, "MATCH", HistoryKeys.task("*"), "COUNT", 1000))
            cursor = reply.array?.first?.string ?? "0"
            hashes += reply.array?.last?.array?.count ?? 0
        } while cursor != "0"
        return (all, states, name, byWorker, hashes)
    }

    @Test("a 10,000-task drain at default flags: the monitor lists each task once, its counts by state match the result records")
    func drainAccounting() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2"], name: "ledger")
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        let app = App("tests", broker: url.unmasked)
        // 9,000 successes, 900 failures and 100 tasks retried once (a second message per task id).
        var calls: [BatchCall] = []
        for index in 0..<10_000 {
            switch index % 100 {
            case 0: calls.append(BatchCall(name: "tasks.flaky", kwargs: ["failures": 1]))
            case 1...9: calls.append(BatchCall(name: "tasks.fail", kwargs: ["message": .string("no \(index)")]))
            default: calls.append(BatchCall(name: "tasks.add", args: [.int(index), 1]))
            }
        }
        var ids: [String] = []
        for start in stride(from: 0, to: calls.count, by: 1_000) {
            ids += try await app.sendBatch(Array(calls[start..<min(start + 1_000, calls.count)]))
        }
        let settled = try await TestRedis.waitUntil(timeout: 180) {
            let sizes = try Self.historySizes(url, worker: worker.nodeName)
            return sizes.states["SUCCESS", default: 0] + sizes.states["FAILURE", default: 0] == ids.count
        }
        let drained = try Self.historySizes(url, worker: worker.nodeName)
        #expect(settled, "history: \(drained)")
        let results = try Self.resultStates(url, ids)
        #expect(results == ["SUCCESS": 9_100, "FAILURE": 900])

        #expect(try Self.total(monitor, "") == ids.count)
        #expect(try Self.total(monitor, "state=SUCCESS") == results["SUCCESS"])
        #expect(try Self.total(monitor, "state=FAILURE") == results["FAILURE"])
        for state in ["RECEIVED", "STARTED", "RETRY", "REVOKED"] {
            #expect(try Self.total(monitor, "state=\(state)") == 0, "\(state)")
        }
        #expect(try Self.total(monitor, "taskname=tasks.add") == 9_000)
        #expect(try Self.total(monitor, "taskname=tasks.flaky&state=SUCCESS") == 100)
        #expect(try Self.total(monitor, "workername=\(worker.nodeName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") == ids.count)
        let failures = try HTTP.get("\(monitor.base)/api/tasks?state=FAILURE&limit=0").json?.objectValue ?? [:]
        #expect(failures.count == 900)
        #expect(failures.values.allSatisfy { $0["state"]?.stringValue == "FAILURE" && $0["name"]?.stringValue == "tasks.fail" })
        let flaky = try HTTP.get("\(monitor.base)/api/tasks?taskname=tasks.flaky&limit=0").json?.objectValue ?? [:]
        #expect(flaky.values.allSatisfy { $0["retries"]?.stringValue == "1" || $0["retries"]?.intValue == 1 }, "\(flaky.values.first.map { "\($0)" } ?? "")")

        let sizes = try Self.historySizes(url, worker: worker.nodeName)
        #expect(sizes.all == ids.count && sizes.hashes == ids.count && sizes.worker == ids.count)
        #expect(sizes.states.values.reduce(0, +) == ids.count, "a task in two state indexes: \(sizes.states)")
    }

    @Test("--max-tasks 500 after 3,000 tasks: 500 listed, and every index and hash trimmed together")
    func trimmedTogether() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2", "--max-tasks", "500"], name: "trim")
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let ids = try await app.sendBatch((0..<3_000).map { BatchCall(name: "tasks.add", args: [.int($0), 1]) })
        #expect(try Self.resultStates(url, [ids.last!]).isEmpty == false)
        let trimmed = try await TestRedis.waitUntil(timeout: 120) {
            let sizes = try Self.historySizes(url, worker: worker.nodeName)
            return sizes.states["SUCCESS", default: 0] == sizes.all && sizes.all == 500
        }
        let sizes = try Self.historySizes(url, worker: worker.nodeName)
        #expect(trimmed, "history: \(sizes)")
        #expect(sizes.hashes == 500 && sizes.name == 500 && sizes.worker == 500, "\(sizes)")
        let newest = try TestRedis.command(url, RedisCommand("ZREVRANGE", HistoryKeys.all, 0, 0)).array?.first?.string
        #expect(newest == ids.last, "the newest task is kept")
    }
}

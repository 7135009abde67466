import Foundation
import Testing
import TaskQ
import TaskQTestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("taskq beat: periodic sends, failover, downtime and live edits (needs Redis and processes)", .serialized)
struct BeatTests {
    @Test("an every-1 s entry fires 10 times in about 10 s and each message runs on a worker")
    func everySecond() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url)
        defer { worker.stop() }
        let beat = try BeatProcess(url: url)
        defer { beat.stop() }
        let added = try BeatProcess.cli(url, ["add", "tick", "--task", "tasks.add", "--every", "1", "--args", "[20, 22]"])
        #expect(added.status == 0, "\(added.output)")
        let start = Date()
        #expect(try await TestRedis.waitUntil(timeout: 40) { try BeatProcess.runs("tick", "total_runs", url: url) >= 10 }, "\(beat.log)")
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed > 8, "10 slots one second apart took \(elapsed) s")
        let ids = try await TestRedis.waitUntil(timeout: 20) {
            try TestRedis.command(url, RedisCommand("KEYS", "celery-task-meta-*")).array?.count ?? 0 >= 10
        }
        #expect(ids)
        let keys = try TestRedis.command(url, RedisCommand("KEYS", "celery-task-meta-*")).array?.compactMap(\.string) ?? []
        for key in keys {
            let record = try JSONValue.parse(try TestRedis.command(url, RedisCommand("GET", key)).bytes ?? [])
            #expect(record["status"]?.stringValue == "SUCCESS")
            #expect(record["result"]?.intValue == 42)
        }
        #expect(beat.sends(of: "tick") >= 10)
    }

    @Test("three beats over 60 one-second slots, the leader SIGKILLed twice: every slot sent exactly once, takeover within the lease")
    func failover() async throws {
        let url = try TestRedis.freshDatabase()
        let lease = 4.0
        var beats = try (0..<3).map { _ in try BeatProcess(url: url, arguments: ["--lease", "\(lease)"]) }
        defer { beats.forEach { $0.stop() } }
        #expect(try BeatProcess.cli(url, ["add", "ha", "--task", "tasks.add", "--every", "1", "--args", "[1, 1]", "--queue", "haq"]).status == 0)
        func leader() throws -> BeatProcess? {
            let value = try TestRedis.command(url, RedisCommand("GET", "taskq:beat:leader")).string ?? ""
            return beats.first { $0.process.isRunning && value.contains("beat-\($0.pid)@") }
        }
        var takeovers: [Double] = []
        for round in 0..<2 {
            #expect(try await TestRedis.waitUntil(timeout: 30) { try BeatProcess.runs("ha", "total_runs", url: url) >= 10 * (round + 1) + 5 * round })
            let victim = try #require(try leader())
            victim.killHard()
            let killedAt = Date()
            #expect(try await TestRedis.waitUntil(timeout: lease + 10) { try leader() != nil })
            takeovers.append(Date().timeIntervalSince(killedAt))
            beats.append(try BeatProcess(url: url, arguments: ["--lease", "\(lease)"]))
        }
        #expect(try await TestRedis.waitUntil(timeout: 60) { try BeatProcess.runs("ha", "total_runs", url: url) >= 62 })
        beats.forEach { $0.stop() }
        let slots = try BeatProcess.slots(in: "haq", url: url)
        #expect(slots.count >= 62)
        #expect(Set(slots).count == slots.count, "a slot was sent twice")
        let gaps = zip(slots, slots.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 == 1000 }, "slots not one second apart: \(gaps.filter { $0 != 1000 })")
        #expect(takeovers.allSatisfy { $0 <= lease + 1.5 }, "takeover took \(takeovers) s with a \(lease) s lease")
    }

    @Test("a beat restarted after 5 s of downtime sends the overdue slot once; with --catch-up 0 it counts the missed ones")
    func downtime() async throws {
        let url = try TestRedis.freshDatabase()
        #expect(try BeatProcess.cli(url, ["add", "slow", "--task", "tasks.add", "--every", "4", "--args", "[1, 2]", "--queue", "downq"]).status == 0)
        #expect(try BeatProcess.cli(url, ["add", "fast", "--task", "tasks.add", "--every", "1", "--args", "[1, 2]", "--queue", "fastq"]).status == 0)
        let first = try BeatProcess(url: url, arguments: ["--catch-up", "0"])
        #expect(try await TestRedis.waitUntil(timeout: 20) { try BeatProcess.runs("slow", "total_runs", url: url) >= 1 })
        first.stop()
        let fastBefore = try BeatProcess.runs("fast", "total_runs", url: url)
        try await Task.sleep(for: .seconds(5))
        let second = try BeatProcess(url: url, arguments: ["--catch-up", "0"])
        defer { second.stop() }
        #expect(try await TestRedis.waitUntil(timeout: 20) { try BeatProcess.runs("slow", "total_runs", url: url) >= 2 })
        let slow = try BeatProcess.slots(in: "downq", url: url)
        #expect(Set(slow).count == slow.count)
        #expect(zip(slow, slow.dropFirst()).allSatisfy { $1 - $0 == 4000 }, "the overdue slot of slow was skipped or doubled: \(slow)")
        // fast (every second) missed about five slots: sent once on restart, the rest counted.
        #expect(try await TestRedis.waitUntil(timeout: 10) { try BeatProcess.runs("fast", "total_runs", url: url) >= fastBefore + 1 })
        #expect(try BeatProcess.runs("fast", "missed", url: url) >= 3, "\(second.log)")
        #expect(second.log.contains("fast missed"))
    }

    @Test("taskq beat add takes effect without a restart, pause stops it, resume restarts it, remove deletes it; bad input names the field")
    func liveEdits() async throws {
        let url = try TestRedis.freshDatabase()
        let beat = try BeatProcess(url: url)
        defer { beat.stop() }
        #expect(try await TestRedis.waitUntil(timeout: 20) { beat.leads })
        #expect(try BeatProcess.cli(url, ["add", "live", "--task", "tasks.add", "--every", "1", "--queue", "liveq"]).status == 0)
        #expect(try await TestRedis.waitUntil(timeout: 5) { try BeatProcess.runs("live", "total_runs", url: url) >= 1 })
        #expect(try BeatProcess.cli(url, ["pause", "live"]).status == 0)
        try await Task.sleep(for: .seconds(1.5))
        let paused = try BeatProcess.runs("live", "total_runs", url: url)
        try await Task.sleep(for: .seconds(3))
        #expect(try BeatProcess.runs("live", "total_runs", url: url) == paused)
        let listed = try BeatProcess.cli(url, ["list"])
        #expect(listed.output.contains("live  [runtime, paused]"), "\(listed.output)")
        #expect(try BeatProcess.cli(url, ["resume", "live"]).status == 0)
        #expect(try await TestRedis.waitUntil(timeout: 5) { try BeatProcess.runs("live", "total_runs", url: url) > paused })
        #expect(try BeatProcess.cli(url, ["run-now", "live"]).output.contains("task id"))
        #expect(try BeatProcess.cli(url, ["remove", "live"]).status == 0)
        #expect(try TestRedis.command(url, RedisCommand("HEXISTS", "taskq:beat:entries", "live")).integer == 0)
        try await Task.sleep(for: .seconds(1.5))
        let length = try TestRedis.command(url, RedisCommand("LLEN", "liveq")).integer ?? 0
        try await Task.sleep(for: .seconds(2))
        #expect(try TestRedis.command(url, RedisCommand("LLEN", "liveq")).integer == length)
        let bad = try BeatProcess.cli(url, ["add", "bad", "--task", "tasks.add", "--crontab", "61 * * * *"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("minute \"61\""), "\(bad.output)")
        let badZone = try BeatProcess.cli(url, ["add", "bad", "--task", "tasks.add", "--crontab", "0 9 * * *", "--timezone", "Mars/Olympus"])
        #expect(badZone.status != 0)
        #expect(badZone.output.contains("timezone \"Mars/Olympus\""), "\(badZone.output)")
    }

    @Test("taskq beat -A tasks syncs the app's code entries; a worker with -B sends them")
    func codeEntries() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-B"])
        defer { worker.stop() }
        #expect(try await TestRedis.waitUntil(timeout: 30) { try BeatProcess.runs("demo-tick", "total_runs", url: url) >= 1 }, "\(worker.log)")
        let listed = try BeatProcess.cli(url, ["list", "--json"])
        let entries = try JSONValue.parse(listed.output).arrayValue ?? []
        let report = try #require(entries.first { $0["name"]?.stringValue == "weekday-report" })
        #expect(report["source"]?.stringValue == "code")
        #expect(report["next_run_local"]?.stringValue?.contains("09:00:00 Europe/Berlin") == true)
        #expect(worker.log.contains("Task tasks.tick["))
    }
}

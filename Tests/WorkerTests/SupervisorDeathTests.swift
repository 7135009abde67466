import Foundation
import Testing
import TaskQ
import TaskQTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What a SIGKILLed supervisor leaves behind: nothing running, nothing run twice.
@Suite("A SIGKILLed supervisor takes its children with it (needs Redis and child processes)", .serialized)
struct SupervisorDeathTests {
    /// The pids of the live processes whose parent is `parent`, from /proc.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return fields.count > 2 && fields[0] != "Z" && Int32(fields[1]) == parent
        }
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }

    @Test("children running tasks.spin die with a SIGKILLed supervisor, and the acks-late tasks run once more, not twice at once")
    func childrenDieWithSupervisor() async throws {
        let url = try TestRedis.freshDatabase()
        let arguments = ["-c", "2", "--acks-late", "--visibility-timeout", "3"]
        let first = try WorkerProcess(url: url, arguments: arguments, name: "orphans1")
        let app = App("tests", broker: url.unmasked)
        let spins = [try await app.sendTask("tasks.spin", args: [8]), try await app.sendTask("tasks.spin", args: [8])]
        #expect(try await TestRedis.waitUntil(timeout: 20) {
            spins.allSatisfy { first.log.contains("Task tasks.spin[\($0.id)] received") }
        })
        let pool = Self.children(of: first.process.processIdentifier)
        #expect(pool.count == 2, "two pool children: \(pool)")
        first.killHard()
        // Before the fix both children spun on for the full 8 s beside the next worker's children.
        let gone = try await TestRedis.waitUntil(timeout: 5) { pool.allSatisfy { !Self.isAlive($0) } }
        #expect(gone, "children still alive: \(pool.filter(Self.isAlive))")
        let second = try WorkerProcess(url: url, arguments: arguments, name: "orphans2")
        defer { second.stop() }
        for spin in spins {
            #expect(try await spin.get(timeout: .seconds(60)) == 8)
        }
        let runs = second.log.components(separatedBy: "Task tasks.spin[").count - 1
        #expect(runs >= 2, "the second worker ran both spins again")
    }

    @Test("a Redis restart longer than the liveness window takes nothing from the worker that holds it: nothing restored, nothing run twice")
    func ownDeliveriesAreNotOrphans() async throws {
        let redis = try PrivateRedis()
        let url = try redis.url
        // Liveness max(6 s, visibility): the outage below outlasts the worker's liveness key.
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--acks-late", "--visibility-timeout", "2"], name: "outlived")
        defer { worker.stop() }
        let app = App("tests", broker: url.unmasked)
        let result = try await app.sendTask("tasks.sleep", args: [12])
        #expect(try await worker.waitForTask(result.id, .received))
        try await Task.sleep(for: .seconds(1))
        try redis.shutdown()
        try await Task.sleep(for: .seconds(7))
        try redis.start()
        #expect(try await result.get(timeout: .seconds(40)) == 12)
        #expect(worker.log.components(separatedBy: "Task tasks.sleep[\(result.id)] received").count - 1 == 1, "received once")
        #expect(!worker.log.contains("Restored"))
        #expect(try await TestRedis.waitUntil { try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0 })
    }
}

import Foundation
import TaskQ
import TaskQTestSupport
import Testing

@Suite("When deliveries are acked and given back", .serialized)
struct AckTimingTests {
    @Test("an early-acking task that runs past a tick is acked while it runs")
    func earlyAckWhileRunning() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.sleep.delay(4)
        #expect(try await worker.waitForTask(result.id, .received))
        let acked = try await TestRedis.waitUntil(timeout: 3) {
            try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0
        }
        #expect(acked, "the early ack is written within a tick of the start")
        #expect(try await result.ready() == false, "and the task is still running")
        #expect(try await result.get(timeout: .seconds(20)) == 4)
    }

    @Test("messages sent while a worker stops are run or left in the queue, none stranded in unacked")
    func nothingStrandedAtStop() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        let tasks = ExampleTasks(url: url)
        var ids: [String] = []
        for index in 0..<300 {
            if index == 150 { worker.signal(SIGTERM) }
            ids.append(try await tasks.add.delay(index, 1).id)
        }
        #expect(try await TestRedis.waitUntil(timeout: 60) { !worker.isRunning }, "the warm shutdown ends by itself")
        worker.stop()
        let queued = (try TestRedis.command(url, RedisCommand("LRANGE", "celery", 0, -1)).array ?? [])
            .compactMap { $0.bytes.flatMap { try? TaskMessage(envelope: $0).id } }
        var ran = 0
        for id in ids where try TestRedis.command(url, RedisCommand("EXISTS", CeleryKeys.result(id))).integer == 1 { ran += 1 }
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
        #expect(ran + queued.count == ids.count, "every message either ran (\(ran)) or waits in the queue (\(queued.count))")
        #expect(Set(queued).isSubset(of: Set(ids)))
    }
}

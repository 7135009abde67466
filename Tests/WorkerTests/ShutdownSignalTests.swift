import Foundation
import Testing
import TaskQ
import TaskQTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Shutdown by signal, through the worker's service group: warm first, cold on the next signal.
@Suite("Shutdown signals (needs Redis and child processes)", .serialized)
struct ShutdownSignalTests {
    @Test("a SIGINT during the warm shutdown a SIGTERM started turns it cold: the running task goes back to its queue")
    func secondSignalIsCold() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1", "--acks-late", "--shutdown-timeout", "60"])
        let tasks = ExampleTasks(url: url)
        let result = try await tasks.sleep.delay(30)
        #expect(try await worker.waitForTask(result.id, .received))
        worker.signal(SIGTERM)
        #expect(try await TestRedis.waitUntil { worker.log.contains("Warm shutdown") })
        #expect(worker.isRunning, "the warm shutdown waits for the running task")
        worker.signal(SIGINT)
        let exited = try await TestRedis.waitUntil(timeout: 20) { !worker.isRunning }
        #expect(exited, "the cold shutdown ends the worker long before the 30 s task or the 60 s shutdown timeout")
        worker.stop()
        #expect(worker.log.contains("Cold shutdown"))
        #expect(worker.log.contains("Gave back running task tasks.sleep[\(result.id)]"))
        #expect(try TestRedis.command(url, RedisCommand("HLEN", CeleryKeys.unacked)).integer == 0)
        #expect(try TestRedis.command(url, RedisCommand("LLEN", "celery")).integer == 1, "the task waits for the next worker")
    }
}

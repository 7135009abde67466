import Foundation
import Testing
import TaskQ
@testable import TaskQWorker

@Suite("Supervisor core: start, intake, dispatch, child windows (no Redis, no processes)")
struct CoreDispatchTests {
    @Test("start spawns the pool; the claimer starts only when every child said hello")
    func startUp() {
        var harness = CoreHarness(concurrency: 2)
        let started = harness.handle(.started(revoked: []))
        #expect(started.spawnedChildren == [1, 2])
        harness.handle(.childSpawned(child: 1, pid: 101))
        harness.handle(.childSpawned(child: 2, pid: 102))
        let first = harness.handle(.childHello(child: 1, tasks: CoreHarness.registrations()))
        #expect(first.startsClaimer.isEmpty && first.granted == 0)
        let second = harness.handle(.childHello(child: 2, tasks: CoreHarness.registrations()))
        #expect(second.startsClaimer == [["celery"]])
        #expect(second.workerEvents == [.online])
        #expect(second.contains { if case .announceReady = $0 { return true } else { return false } })
        #expect(second.granted == 8)   // 2 children × prefetch multiplier 4
        #expect(harness.core.lifecycle == .running)
    }

    @Test("children that never say hello end the worker after the hello timeout")
    func helloTimeout() {
        var harness = CoreHarness(concurrency: 1)
        harness.handle(.started(revoked: []))
        #expect(harness.tick(after: 29).aborted == nil)
        #expect(harness.tick(after: 2).aborted?.contains("never said hello") == true)
    }

    @Test("a child that cannot start ends a starting worker; later it is only logged")
    func spawnFailure() {
        var starting = CoreHarness(concurrency: 1)
        starting.handle(.started(revoked: []))
        #expect(starting.handle(.childSpawnFailed(child: 1, reason: "ENOENT")).aborted?.contains("ENOENT") == true)

        var running = CoreHarness.running(concurrency: 1)
        let exit = running.handle(.childExited(child: 1, status: 1, signaled: false))
        #expect(exit.spawnedChildren == [2])
        let failed = running.handle(.childSpawnFailed(child: 2, reason: "EAGAIN"))
        #expect(failed.aborted == nil)
        #expect(failed.logs.contains { $0.contains("cannot start a replacement child: EAGAIN") })
    }

    @Test("a claimed message goes to the lowest idle child, announced received and started")
    func firstDispatch() {
        var harness = CoreHarness.running()
        let actions = harness.claim(harness.message(id: "a"))
        #expect(actions.runs.map(\.child) == [1])
        #expect(actions.taskEvents.map(\.kind) == [.received, .started])
        #expect(harness.job("a")?.state == .running(child: 1, deadline: nil))
    }

    @Test("with every child busy on a task of unknown run time, the next waits in the worker")
    func waitsForIdleChild() {
        var harness = CoreHarness.running()
        let actions = harness.claim(harness.message("tasks.slow", id: "a"), harness.message("tasks.slow", id: "b"),
                                    harness.message("tasks.slow", id: "c"))
        #expect(actions.runs.map(\.id) == ["a", "b"])
        #expect(harness.core.pending.map(\.message.id) == ["c"])
        let done = harness.done(1, after: 1)
        #expect(done.runs.map(\.child) == [1])
        #expect(done.runIDs == ["c"])
    }

    @Test("a short task queues behind a busy child's running job, up to its window")
    func shortTaskWindow() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.core.placement.record("tasks.add", seconds: 0.000_1)
        let window = harness.core.placement.window(for: "tasks.add")
        let messages = (0..<(window + 3)).map { harness.message(id: "m\($0)") }
        let actions = harness.handle(.claimed(messages))
        #expect(actions.runs.count == window)
        #expect(harness.core.children[1]?.jobs.count == window)
        #expect(harness.core.pending.count == 3)
        // Only the first runs; the others are queued in the child.
        #expect(actions.taskEvents.filter { $0.kind == .started }.map(\.id) == ["m0"])
        #expect(harness.job("m1")?.state == .queuedInChild(child: 1))
    }

    @Test("the job queued next in a child begins when the one ahead of it finishes")
    func queuedJobBegins() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.core.placement.record("tasks.add", seconds: 0.000_1)
        harness.claim(harness.message(id: "a"), harness.message(id: "b"))
        let done = harness.done(1)
        #expect(done.taskEvents.contains { $0 == (.started, "b") })
        #expect(harness.job("b")?.state == .running(child: 1, deadline: nil))
    }

    @Test("an unregistered task fails with NotRegistered and its delivery is acked with the record")
    func unregistered() {
        var harness = CoreHarness.running()
        let message = harness.message("tasks.missing", id: "x")
        let actions = harness.claim(message)
        #expect(actions.stores.first?.record.status == .failure)
        #expect(actions.stores.first?.record.exception?.type == "NotRegistered")
        #expect(actions.stores.first?.ackTag == message.deliveryTag)
        #expect(actions.runs.isEmpty && harness.core.jobs.isEmpty)
    }

    @Test("an envelope that cannot be read goes to the dead-letter list with its reason")
    func invalidEnvelope() {
        var harness = CoreHarness.running()
        let actions = harness.claim(ClaimedMessage(queue: "celery", deliveryTag: "bad", envelope: Array("{not json".utf8), deliveries: 1))
        #expect(actions.deadLetters.map(\.tag) == ["bad"])
        #expect(actions.runs.isEmpty)
    }

    @Test("a message delivered more than --max-deliveries times is dead-lettered and fails with WorkerLostError")
    func poison() {
        var harness = CoreHarness.running()
        let actions = harness.claim(harness.message(id: "p", deliveries: 4))
        #expect(actions.deadLetters.count == 1)
        #expect(actions.stored("p")?.exception?.type == "WorkerLostError")
        #expect(actions.stores.first?.ackTag == nil)   // the dead-letter script settles the delivery
        #expect(actions.runs.isEmpty)
    }

    @Test("a success is stored with its ack; an ignored result is only acked")
    func successStored() {
        var harness = CoreHarness.running(tasks: ["tasks.quiet": { var o = WorkerTaskOptions(); o.ignoreResult = true; return o }()])
        let message = harness.message(id: "a")
        harness.claim(message, harness.message("tasks.quiet", id: "q"))
        let done = harness.done(1)
        #expect(done.stored("a")?.status == .success)
        #expect(done.stored("a")?.result == 3)
        #expect(done.stores.first?.ackTag == message.deliveryTag)
        let quiet = harness.done(2)
        #expect(quiet.stores.isEmpty)
        #expect(quiet.acks.count == 1)
    }

    @Test("an early ack goes out with the result when the task ends within a tick, else on the tick")
    func earlyAckTiming() {
        var harness = CoreHarness.running()
        let quick = harness.message(id: "quick")
        let slow = harness.message("tasks.slow", id: "slow")
        harness.claim(quick, slow)
        #expect(harness.job("slow")?.ack == .deferred)
        let quickDone = harness.done(1)
        #expect(quickDone.stores.first?.ackTag == quick.deliveryTag)
        let tick = harness.tick()
        #expect(tick.acks == [slow.deliveryTag])
        let slowDone = harness.done(2, after: 5)
        #expect(slowDone.stores.first?.ackTag == nil)   // acked already
    }

    @Test("an acks-late task's delivery stays unacked while it runs and is acked with its result")
    func acksLate() {
        var harness = CoreHarness.running { $0.acksLate = true }
        let message = harness.message("tasks.slow", id: "a")
        harness.claim(message)
        #expect(harness.tick().acks.isEmpty)
        #expect(harness.job("a")?.ack == .pending)
        #expect(harness.done(1, after: 3).stores.first?.ackTag == message.deliveryTag)
    }
}

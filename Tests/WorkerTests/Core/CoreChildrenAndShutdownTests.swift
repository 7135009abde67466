import Foundation
import Testing
import TaskQ
@testable import TaskQWorker

@Suite("Supervisor core: child exits, recycling, warm and cold shutdown (no Redis, no processes)")
struct CoreChildrenAndShutdownTests {
    static func rejecting() -> WorkerTaskOptions {
        var options = WorkerTaskOptions()
        options.acksLate = true
        options.rejectOnWorkerLost = true
        return options
    }

    @Test("a child that dies fails its running job with WorkerLostError and gives its queued jobs back, first in line")
    func childDiesEarlyAck() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.core.placement.record("tasks.add", seconds: 0.000_1)
        harness.claim(harness.message(id: "a"), harness.message(id: "b"), harness.message(id: "c"))
        harness.tick()   // a's early ack is written
        let exit = harness.handle(.childExited(child: 1, status: 11, signaled: true))
        #expect(exit.stored("a")?.exception?.type == "WorkerLostError")
        #expect(exit.stores.first { $0.record.taskID == "a" }?.ackTag == nil)   // acked on start already
        #expect(exit.logs.contains { $0.contains("exited with signal 11 (SIGSEGV)") })
        #expect(harness.core.pending.map(\.message.id) == ["b", "c"])
        #expect(exit.spawnedChildren == [2])
        harness.handle(.childSpawned(child: 2, pid: 12))
        let hello = harness.handle(.childHello(child: 2, tasks: CoreHarness.registrations()))
        #expect(hello.runIDs == ["b", "c"])
    }

    @Test("an acks-late task with reject_on_worker_lost is requeued, counted as a delivery, when its child dies")
    func childDiesRejectOnWorkerLost() {
        var harness = CoreHarness.running(concurrency: 1, tasks: ["tasks.careful": Self.rejecting()])
        let message = harness.message("tasks.careful", id: "a")
        harness.claim(message)
        let exit = harness.handle(.childExited(child: 1, status: 9, signaled: true))
        #expect(exit.stores.isEmpty)
        #expect(exit.restored.first?.counted == true)
        #expect(exit.restoredTags == [message.deliveryTag])
    }

    @Test("an acks-late task without reject_on_worker_lost fails and its delivery is acked with the failure")
    func childDiesLateAck() {
        var harness = CoreHarness.running(concurrency: 1) { $0.acksLate = true }
        let message = harness.message("tasks.slow", id: "a")
        harness.claim(message)
        let exit = harness.handle(.childExited(child: 1, status: 1, signaled: false))
        #expect(exit.stored("a")?.exception?.type == "WorkerLostError")
        #expect(exit.stores.first?.ackTag == message.deliveryTag)
        #expect(exit.logs.contains { $0.contains("exited with exitcode 1") })
    }

    @Test("--max-tasks-per-child retires a child once idle and replaces it when it exits")
    func maxTasksPerChild() {
        var harness = CoreHarness.running(concurrency: 1) { $0.maxTasksPerChild = 2 }
        harness.claim(harness.message(id: "a"))
        #expect(harness.done(1).exitRequests.isEmpty)
        harness.claim(harness.message(id: "b"))
        let second = harness.done(2)
        #expect(second.exitRequests == [1])
        #expect(harness.core.children[1]?.state == .retiring)
        #expect(harness.claim(harness.message(id: "c")).runs.isEmpty)   // a retiring child takes nothing
        let exit = harness.handle(.childExited(child: 1, status: 0, signaled: false))
        #expect(exit.spawnedChildren == [2])
        #expect(!exit.logs.contains { $0.contains("exited with") })
    }

    @Test("--max-memory-per-child retires a child whose memory after a job is over the limit")
    func maxMemoryPerChild() {
        var harness = CoreHarness.running(concurrency: 1) { $0.maxMemoryPerChild = 1000 }
        harness.claim(harness.message(id: "a"), harness.message("tasks.slow", id: "b"))
        let under = harness.handle(.childDone(child: 1, job: 1, outcome: .success(result: 3), residentKiB: 900))
        #expect(under.exitRequests.isEmpty)
        let over = harness.handle(.childDone(child: 1, job: 2, outcome: .success(result: 3), residentKiB: 1200))
        #expect(over.exitRequests == [1])
        #expect(over.logs.contains { $0.contains("uses 1200 KiB") })
    }

    @Test("warm shutdown: claiming stops, waiting jobs go back, idle children exit, running tasks finish, then goodbye and flush")
    func warmShutdown() {
        var harness = CoreHarness.running(concurrency: 2)
        harness.claim(harness.message("tasks.slow", id: "a"), harness.message("tasks.slow", id: "b"),
                      harness.message("tasks.slow", id: "c"))
        harness.done(2, after: 1)   // child 2 runs c now
        harness.done(3, after: 1)   // child 2 idle
        harness.claim(harness.message("tasks.slow", id: "d"))   // child 2 runs d
        harness.claim(harness.message("tasks.slow", id: "e"))   // waits
        let begin = harness.handle(.shutdownRequested(cold: false))
        #expect(begin.stopsClaimer)
        #expect(begin.restoredTags.count == 1)
        #expect(begin.exitRequests.isEmpty)
        #expect(harness.core.lifecycle == .draining(deadline: harness.now.addingTimeInterval(60)))
        let firstDone = harness.done(1)
        #expect(firstDone.exitRequests == [1])
        #expect(firstDone.runs.isEmpty)
        harness.handle(.childExited(child: 1, status: 0, signaled: false))
        let secondDone = harness.done(4)
        #expect(secondDone.exitRequests == [2])
        let lastExit = harness.handle(.childExited(child: 2, status: 0, signaled: false))
        #expect(lastExit.spawnedChildren.isEmpty)
        #expect(lastExit.marksGone && lastExit.workerEvents == [.offline] && lastExit.flushes)
        #expect(harness.core.lifecycle == .flushing)
        #expect(harness.handle(.writesFlushed).stops)
        #expect(harness.core.lifecycle == .stopped)
    }

    @Test("a warm shutdown past --shutdown-timeout turns cold: children killed, running tasks given back")
    func warmShutdownTimeout() {
        var harness = CoreHarness.running(concurrency: 1) { $0.shutdownTimeout = 5; $0.acksLate = true }
        let message = harness.message("tasks.slow", id: "a")
        harness.claim(message)
        harness.handle(.shutdownRequested(cold: false))
        #expect(harness.tick(after: 4).kills.isEmpty)
        let cold = harness.tick(after: 2)
        #expect(cold.logs.contains { $0.contains("Shutdown timeout (5.0s) reached with 1 task(s) running") })
        #expect(cold.kills.map(\.child) == [1])
        #expect(cold.restoredTags == [message.deliveryTag])
        #expect(cold.flushes)
    }

    @Test("cold shutdown: unacked deliveries restored, acked ones republished at the head, every child killed")
    func coldShutdown() {
        var harness = CoreHarness.running(concurrency: 2, tasks: ["tasks.late": { var o = WorkerTaskOptions(); o.acksLate = true; return o }()])
        let early = harness.message("tasks.slow", id: "early")
        let late = harness.message("tasks.late", id: "late")
        harness.claim(early, late)
        harness.tick()   // the early ack is written
        let cold = harness.handle(.shutdownRequested(cold: true))
        #expect(cold.republished.map(\.id) == ["early"])
        #expect(cold.restoredTags == [late.deliveryTag])
        #expect(Set(cold.kills.map(\.child)) == [1, 2])
        #expect(cold.marksGone && cold.flushes)
        // The children's exits come after: nothing is replaced or stored.
        let exit = harness.handle(.childExited(child: 1, status: SIGKILL, signaled: true))
        #expect(exit.spawnedChildren.isEmpty && exit.stores.isEmpty)
    }

    @Test("a second shutdown request during a warm shutdown makes it cold; one during the flush changes nothing")
    func secondSignal() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.claim(harness.message("tasks.slow", id: "a"))
        harness.handle(.shutdownRequested(cold: false))
        let second = harness.handle(.shutdownRequested(cold: false))
        #expect(second.kills.map(\.child) == [1])
        #expect(harness.core.lifecycle == .flushing)
        #expect(harness.handle(.shutdownRequested(cold: true)).isEmpty)
    }

    @Test("messages claimed as shutdown began are given back at once")
    func lateClaims() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.claim(harness.message("tasks.slow", id: "a"))
        harness.handle(.shutdownRequested(cold: false))
        let late = harness.message(id: "late")
        let actions = harness.claim(late)
        #expect(actions.runs.isEmpty)
        #expect(actions.restoredTags == [late.deliveryTag])
    }

    @Test("a warm shutdown waits for chord joins in flight before it says goodbye")
    func chordJoinsDelayShutdown() {
        var harness = CoreHarness.running(concurrency: 1)
        let callback: JSONValue = ["task": "tasks.add", "args": [], "kwargs": [:], "options": ["task_id": "cb"], "immutable": false]
        var embed = TaskMessage.emptyEmbed
        embed["chord"] = callback
        harness.claim(harness.message(id: "part", embed: embed, groupID: "g1"))
        harness.handle(.shutdownRequested(cold: false))
        let done = harness.done(1)
        #expect(done.chordJoins.map(\.group) == ["g1"])
        let exit = harness.handle(.childExited(child: 1, status: 0, signaled: false))
        #expect(!exit.flushes)
        #expect(harness.core.lifecycle == .awaitingChordJoins(deadline: CoreHarness.start.addingTimeInterval(60)))
        let link = FollowUpLink(parentID: "part", rootID: "part", queue: "celery")
        let joined = harness.handle(.chordJoined(callback: callback, entries: nil, link: link))
        #expect(joined.flushes && joined.marksGone)
    }
}

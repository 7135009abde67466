import Foundation
import Testing
import TaskQ
@testable import TaskQWorker

@Suite("Supervisor core: the async and solo pools, autoscale (no Redis, no processes)")
struct CorePoolTests {
    /// A running async pool: `processes` children of `concurrency / processes` tasks each.
    static func async(_ concurrency: Int = 6, processes: Int = 2, _ adjust: @escaping (inout WorkerConfiguration) -> Void = { _ in }) -> CoreHarness {
        CoreHarness.running(concurrency: concurrency) {
            $0.pool = PoolShape(kind: .async, concurrency: concurrency, processes: processes, cores: 2)
            adjust(&$0)
        }
    }

    static let timeLimitExceeded = "TimeLimitExceeded"

    @Test("async: the pool's tasks are spread over its children, least busy first, and all start at once")
    func spreadAndStart() {
        var harness = Self.async()
        #expect(harness.core.children.count == 2)
        let actions = harness.handle(.claimed((0..<7).map { harness.message("tasks.slow", id: "t\($0)") }))
        #expect(actions.runs.map(\.child) == [1, 2, 1, 2, 1, 2])
        #expect(actions.taskEvents.filter { $0.kind == .started }.count == 6)
        #expect(harness.core.pending.map(\.message.id) == ["t6"])
        // 2 children × 3 tasks × multiplier 4 = 24 may be held.
        #expect(harness.core.credits.outstanding + 7 == 24)
    }

    @Test("async: an early-ack task's delivery is acked with its result, not on the tick")
    func noEarlyAck() {
        var harness = Self.async()
        let message = harness.message("tasks.slow", id: "a")
        harness.claim(message)
        #expect(harness.tick().acks.isEmpty)
        #expect(harness.done(1, after: 2).stores.first?.ackTag == message.deliveryTag)
    }

    @Test("async: a hard time limit cancels the task; ended within the grace, it fails TimeLimitExceeded and the child lives")
    func hardLimitCancels() {
        var harness = Self.async { $0.timeLimit = 2 }
        harness.claim(harness.message("tasks.sleep", id: "slow"), harness.message("tasks.sleep", id: "sibling"))
        let late = harness.tick(after: 2.1)
        #expect(late.contains { if case .sendCancel(1, 1) = $0 { return true } else { return false } })
        #expect(late.kills.isEmpty)
        let done = harness.done(1, outcome: .failure(exception: ExceptionInfo(type: "CancellationError", message: "", module: "Swift"), traceback: nil))
        #expect(done.stored("slow")?.exception?.type == Self.timeLimitExceeded)
        #expect(harness.core.children[1]?.state == .ready)
    }

    @Test("async: a task that ignores the cancellation has its child killed after the grace; its siblings go back uncounted")
    func hardLimitKills() {
        var harness = Self.async(4, processes: 1) { $0.timeLimit = 2 }
        harness.claim(harness.message("tasks.spin", id: "spin"))
        harness.tick(after: 1.9)
        let siblings = [harness.message("tasks.sleep", id: "s1"), harness.message("tasks.sleep", id: "s2")]
        harness.handle(.claimed(siblings))
        harness.tick(after: 0.2)   // spin's deadline: cancelled
        #expect(harness.tick(after: 0.5).kills.isEmpty)
        let kill = harness.tick(after: 0.6)
        #expect(kill.kills.map(\.child) == [1])
        let exit = harness.handle(.childExited(child: 1, status: SIGKILL, signaled: true))
        #expect(exit.stored("spin")?.exception?.type == Self.timeLimitExceeded)
        #expect(exit.restored.count == 1)
        #expect(exit.restored.first?.counted == false)
        #expect(Set(exit.restoredTags) == Set(siblings.map(\.deliveryTag)))
        #expect(exit.spawnedChildren == [2])
    }

    @Test("async: a child that dies under several tasks gives them all back, counted; each then runs alone")
    func crashGivesBack() {
        var harness = Self.async(6, processes: 2)
        let messages = (0..<4).map { harness.message("tasks.sleep", id: "m\($0)") }
        harness.handle(.claimed(messages))
        let exit = harness.handle(.childExited(child: 1, status: SIGSEGV, signaled: true))
        #expect(exit.stores.isEmpty)
        #expect(exit.restored.first?.counted == true)
        #expect(Set(exit.restoredTags) == [messages[0].deliveryTag, messages[2].deliveryTag])
        #expect(exit.logs.contains { $0.contains("giving them back to run again, each alone") })
        // Redelivered: one runs alone in an idle child; the next waits for another idle child.
        harness.handle(.childSpawned(child: 3, pid: 1003))
        harness.handle(.childHello(child: 3, tasks: CoreHarness.registrations()))
        let again = harness.claim(harness.message("tasks.sleep", id: "m0", deliveries: 2), harness.message("tasks.sleep", id: "m2", deliveries: 2),
                                  harness.message("tasks.sleep", id: "fresh"))
        #expect(again.runs.map(\.child) == [3])
        #expect(again.runIDs == ["m0"])
        #expect(harness.core.children[3]?.exclusiveJob != nil)
        // m2 keeps child 2 (the only other) for itself: "fresh" waits rather than fill it.
        #expect(harness.core.pending.map(\.message.id) == ["m2", "fresh"])
    }

    @Test("async: a job that must run alone is not starved by steady load: the least busy child drains for it")
    func aloneJobReservesAChild() {
        var harness = Self.async(6, processes: 2)
        harness.claim(harness.message("tasks.sleep", id: "a1"), harness.message("tasks.sleep", id: "b1"),
                      harness.message("tasks.sleep", id: "a2"), harness.message("tasks.sleep", id: "b2"),
                      harness.message("tasks.sleep", id: "a3"))
        // Child 1 holds a1, a2, a3 (full); child 2 holds b1, b2.
        let redelivered = harness.claim(harness.message("tasks.sleep", id: "again", deliveries: 2))
        #expect(redelivered.runs.isEmpty)
        // Steady load: new jobs keep coming and child 1 frees slots; child 2 gets nothing new.
        var placed: [Int] = []
        for round in 0..<3 {
            let done = harness.done([1, 3, 5][round])          // a1, a2, a3 end in turn
            placed += done.runs.map(\.child)
            placed += harness.claim(harness.message("tasks.sleep", id: "new\(round)")).runs.map(\.child)
        }
        #expect(placed.allSatisfy { $0 == 1 })
        #expect(harness.core.pending.map(\.message.id) == ["again"])
        harness.done(2)                                          // b1
        let last = harness.done(4)                               // b2: child 2 is idle
        #expect(last.runs.map(\.child) == [2])
        #expect(last.runIDs == ["again"])
        #expect(harness.core.children[2]?.exclusiveJob != nil)
    }

    @Test("async: a cancelled task whose child dies within the grace ends as decided; its siblings go back")
    func cancellingJobOnChildLoss() {
        var harness = Self.async(4, processes: 1) { $0.timeLimit = 2 }
        harness.claim(harness.message("tasks.spin", id: "spin"))
        harness.tick(after: 1.5)
        harness.claim(harness.message("tasks.sleep", id: "sibling"))
        harness.tick(after: 0.6)   // spin is cancelled; its child is not killed yet
        let exit = harness.handle(.childExited(child: 1, status: SIGSEGV, signaled: true))
        #expect(exit.stored("spin")?.exception?.type == Self.timeLimitExceeded)
        #expect(exit.restoredTags.count == 1)
        #expect(exit.stored("sibling") == nil)
    }

    @Test("async: one cancelled task alone in a child that dies ends as decided, not WorkerLostError")
    func cancellingAloneOnChildLoss() {
        var harness = Self.async(4, processes: 1)
        harness.claim(harness.message("tasks.spin", id: "spin"))
        harness.handle(.control(ControlRequest(method: "revoke", arguments: ["task_id": "spin", "terminate": true]), usage: nil))
        let exit = harness.handle(.childExited(child: 1, status: SIGSEGV, signaled: true))
        #expect(exit.stored("spin")?.status == .revoked)
        #expect(exit.stored("spin")?.exception?.message == "terminated")
    }

    @Test("async: a task that traps again while running alone fails with WorkerLostError")
    func trapperFound() {
        var harness = Self.async(4, processes: 1)
        let message = harness.message("tasks.crash", id: "trap", deliveries: 2)
        harness.claim(message, harness.message("tasks.sleep", id: "waits"))
        #expect(harness.core.pending.map(\.message.id) == ["waits"])
        let exit = harness.handle(.childExited(child: 1, status: SIGILL, signaled: true))
        #expect(exit.stored("trap")?.exception?.type == "WorkerLostError")
        #expect(exit.stores.first?.ackTag == message.deliveryTag)
        #expect(exit.restored.isEmpty)
    }

    @Test("async: terminate cancels the one task, not its child; it ends REVOKED terminated")
    func terminateCancels() {
        var harness = Self.async()
        harness.claim(harness.message("tasks.sleep", id: "a"), harness.message("tasks.sleep", id: "b"))
        let actions = harness.handle(.control(ControlRequest(method: "revoke", arguments: ["task_id": "a", "terminate": true]), usage: nil))
        #expect(actions.kills.isEmpty)
        #expect(actions.contains { if case .sendCancel(1, 1) = $0 { return true } else { return false } })
        let done = harness.done(1, outcome: .failure(exception: ExceptionInfo(type: "CancellationError", message: "", module: "Swift"), traceback: nil))
        #expect(done.stored("a")?.status == .revoked)
        #expect(done.stored("a")?.exception?.message == "terminated")
    }

    @Test("pool_grow, pool_shrink and autoscale answer with an error outside prefork")
    func preforkOnlyControls() {
        var harness = Self.async()
        for method in ["pool_grow", "pool_shrink", "autoscale"] {
            let reply = harness.handle(.control(ControlRequest(method: method, arguments: ["n": 1, "max": 4, "min": 1]), usage: nil)).replies.first
            #expect(reply?["error"]?.stringValue?.contains("prefork") == true)
        }
    }

    @Test("stats shows the pool's kind, processes and concurrency")
    func statsPool() {
        var harness = Self.async(200, processes: 2)
        let pool = harness.handle(.control(ControlRequest(method: "stats"), usage: nil)).replies.first?["pool"]
        #expect(pool?["implementation"] == "taskq:async")
        #expect(pool?["max-concurrency"] == 200)
        #expect(pool?["tasks-per-process"] == 100)
        #expect(pool?["processes"] == [1001, 1002])
    }

    @Test("solo: one child running one task at a time, whatever -c says")
    func solo() {
        var harness = CoreHarness.running(concurrency: 8) { $0.pool = PoolShape(kind: .solo, concurrency: 8, processes: nil, cores: 2) }
        #expect(harness.core.children.count == 1)
        #expect(harness.claim(harness.message("tasks.slow", id: "a"), harness.message("tasks.slow", id: "b")).runIDs == ["a"])
    }

    @Test("autoscale: children are added while tasks wait, and one idle past --autoscale-idle is retired, down to MIN")
    func autoscale() {
        var harness = CoreHarness(concurrency: 4) { $0.autoscale = (maximum: 4, minimum: 1); $0.autoscaleIdle = 5 }
        harness.startPool(tasks: CoreHarness.registrations())
        #expect(harness.core.children.count == 1)
        harness.handle(.claimed((0..<4).map { harness.message("tasks.slow", id: "t\($0)") }))
        let grow = harness.tick()
        #expect(grow.spawnedChildren == [2, 3, 4])
        for number in [2, 3, 4] {
            harness.handle(.childSpawned(child: number, pid: Int32(1000 + number)))
            harness.handle(.childHello(child: number, tasks: CoreHarness.registrations()))
        }
        #expect(harness.core.jobs.count == 4)
        for job in 1...4 { harness.done(job, after: 0.5) }
        #expect(harness.tick(after: 3).exitRequests.isEmpty)
        let shrink = harness.tick(after: 3)
        #expect(shrink.exitRequests == [4])
        harness.handle(.childExited(child: 4, status: 0, signaled: false))
        harness.tick(after: 0.1)
        harness.tick(after: 0.1)
        harness.handle(.childExited(child: 3, status: 0, signaled: false))
        harness.tick(after: 0.1)
        harness.handle(.childExited(child: 2, status: 0, signaled: false))
        #expect(harness.tick(after: 10).exitRequests.isEmpty)
        #expect(harness.core.children.count == 1)
        let reply = harness.handle(.control(ControlRequest(method: "autoscale", arguments: ["max": 8, "min": 2]), usage: nil)).replies.first
        #expect(reply?["ok"]?.stringValue == "autoscale now max=8 min=2")
    }

    @Test("autoscale: a recycled child's coming replacement counts towards MAX")
    func autoscaleCountsReplacements() {
        var harness = CoreHarness(concurrency: 2) { $0.autoscale = (maximum: 2, minimum: 1); $0.maxTasksPerChild = 1 }
        harness.startPool(tasks: CoreHarness.registrations())
        harness.handle(.claimed((0..<2).map { harness.message("tasks.slow", id: "t\($0)") }))
        #expect(harness.tick().spawnedChildren == [2])
        harness.handle(.childSpawned(child: 2, pid: 1002))
        harness.handle(.childHello(child: 2, tasks: CoreHarness.registrations()))
        let recycled = harness.done(1)
        #expect(recycled.exitRequests == [1])
        harness.handle(.claimed((2..<6).map { harness.message("tasks.slow", id: "t\($0)") }))
        #expect(harness.tick().spawnedChildren.isEmpty)
        #expect(harness.handle(.childExited(child: 1, status: 0, signaled: false)).spawnedChildren == [3])
        #expect(harness.tick().spawnedChildren.isEmpty)
        #expect(harness.core.children.count == 2)
    }
}

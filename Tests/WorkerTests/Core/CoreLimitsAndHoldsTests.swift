import Foundation
import Testing
import TaskQ
@testable import TaskQWorker

@Suite("Supervisor core: time limits, ETA hold, revoked and expired messages (no Redis, no processes)")
struct CoreLimitsAndHoldsTests {
    @Test("a job past its hard time limit has its child killed, then fails with TimeLimitExceeded; the child is replaced")
    func hardTimeLimit() {
        var harness = CoreHarness.running(concurrency: 1) { $0.timeLimit = 2 }
        harness.claim(harness.message("tasks.slow", id: "a"))
        guard case .running(1, let deadline?) = harness.job("a")?.state else {
            Issue.record("no deadline")
            return
        }
        #expect(deadline == harness.now.addingTimeInterval(2))
        #expect(harness.tick(after: 1.9).kills.isEmpty)
        let late = harness.tick(after: 0.2)
        #expect(late.kills.map(\.child) == [1])
        #expect(late.kills.first?.signal == SIGKILL)
        #expect(harness.tick().kills.isEmpty)   // killed once
        let exit = harness.handle(.childExited(child: 1, status: SIGKILL, signaled: true))
        #expect(exit.stored("a")?.exception?.type == "TimeLimitExceeded")
        #expect(exit.spawnedChildren == [2])
        #expect(!exit.logs.contains { $0.contains("exited with") })   // killed on purpose: no error line
    }

    @Test("the message's timelimit header wins over the worker's; the soft limit rides in the run frame")
    func headerLimits() {
        var harness = CoreHarness.running { $0.timeLimit = 100; $0.softTimeLimit = 50 }
        let actions = harness.claim(harness.message(id: "a", timeLimits: (hard: 5, soft: 3)), harness.message(id: "b"))
        #expect(actions.softLimits == [3, 50])
        #expect(harness.job("a")?.hardLimit == 5)
        #expect(harness.job("b")?.hardLimit == 100)
    }

    @Test("time_limit by remote control applies to the task's next jobs")
    func timeLimitControl() {
        var harness = CoreHarness.running()
        let reply = harness.handle(.control(ControlRequest(method: "time_limit", arguments: ["task_name": "tasks.slow", "hard": 7, "soft": 6]), usage: nil))
        #expect(reply.replies.first?["ok"]?.stringValue == "time limits set successfully")
        let actions = harness.claim(harness.message("tasks.slow", id: "a"))
        #expect(actions.softLimits == [6])
        #expect(harness.job("a")?.hardLimit == 7)
    }

    @Test("a limit too large to enforce is held to one year, with a warning")
    func hugeLimitClamped() {
        var harness = CoreHarness.running()
        let actions = harness.claim(harness.message(id: "a", timeLimits: (hard: 1e20, soft: nil)))
        #expect(harness.job("a")?.hardLimit == TimeLimitRange.longest)
        #expect(actions.logs.contains { $0.contains("hard time limit") })
    }

    @Test("a short job under a hard time limit never waits in a busy child's queue")
    func limitedJobsDoNotQueue() {
        var harness = CoreHarness.running(concurrency: 1) { $0.timeLimit = 10 }
        harness.core.placement.record("tasks.add", seconds: 0.000_1)
        let actions = harness.claim(harness.message(id: "a"), harness.message(id: "b"))
        #expect(actions.runIDs == ["a"])
        #expect(harness.core.pending.map(\.message.id) == ["b"])
    }

    @Test("a message with an ETA ahead is held in the scheduled set, replacing its delivery, and listed")
    func etaHeld() {
        var harness = CoreHarness.running()
        let eta = harness.now.addingTimeInterval(60)
        let message = harness.message(id: "later", eta: eta)
        let actions = harness.claim(message)
        #expect(actions.runs.isEmpty)
        #expect(actions.scheduled.count == 1)
        #expect(actions.scheduled.first?.due == eta)
        #expect(actions.scheduled.first?.replacing == message.deliveryTag)
        #expect(actions.scheduled.first?.message.properties[SupervisorCore.heldForETAProperty] == .bool(true))
        #expect(actions.taskEvents.map(\.kind) == [.received])
        let scheduled = harness.handle(.control(ControlRequest(method: "scheduled"), usage: nil)).replies.first
        #expect(scheduled?.arrayValue?.first?["request"]?["id"]?.stringValue == "later")
    }

    @Test("a held message that comes due runs without being announced as received again")
    func etaComesDue() {
        var harness = CoreHarness.running()
        let eta = harness.now.addingTimeInterval(60)
        let held = harness.claim(harness.message(id: "later", eta: eta)).scheduled[0].message
        harness.now = eta
        let actions = harness.claim(ClaimedMessage(queue: "celery", deliveryTag: held.deliveryTag, envelope: held.envelope(), deliveries: 1))
        #expect(actions.runIDs == ["later"])
        #expect(actions.taskEvents.map(\.kind) == [.started])
        #expect(harness.core.heldForETA.isEmpty)
    }

    @Test("an ETA within a few milliseconds runs at once")
    func etaNow() {
        var harness = CoreHarness.running()
        let actions = harness.claim(harness.message(id: "now", eta: harness.now.addingTimeInterval(0.001)))
        #expect(actions.runIDs == ["now"])
        #expect(actions.scheduled.isEmpty)
    }

    @Test("the list of held messages is capped; ETAs already past are dropped from it first")
    func etaListCap() {
        var harness = CoreHarness.running()
        let cap = SupervisorCore.maximumHeldForETAListed
        let soon = harness.now.addingTimeInterval(10)
        for index in 0..<cap {
            let job = Job(number: -index, message: TaskMessage.make(name: "tasks.add", id: "h\(index)", args: [], kwargs: [:], queue: "celery",
                                                                  eta: index == 0 ? soon : harness.now.addingTimeInterval(3600), origin: "test"),
                          claimed: harness.message(), info: harness.core.tasks["tasks.add"]!, acksLate: false, receivedAt: harness.now)
            harness.core.rememberHeldForETA(job)
        }
        #expect(harness.core.heldForETA.count == cap)
        harness.now = soon.addingTimeInterval(1)   // h0's ETA is past
        let actions = harness.claim(harness.message(id: "new", eta: harness.now.addingTimeInterval(60)))
        #expect(actions.scheduled.count == 1)   // every message is held; the list only loses h0
        #expect(harness.core.heldForETA["h0"] == nil)
        #expect(harness.core.heldForETA["new"] != nil)
        harness.claim(harness.message(id: "unlisted", eta: harness.now.addingTimeInterval(60)))
        #expect(harness.core.heldForETA["unlisted"] == nil)
        #expect(harness.core.heldForETA.count == cap)
    }

    @Test("a message whose id is revoked is stored REVOKED and acked, never run")
    func revokedAtIntake() {
        var harness = CoreHarness(concurrency: 1)
        harness.handle(.started(revoked: [(id: "r", expiry: harness.now.timeIntervalSince1970 + 60)]))
        harness.handle(.childSpawned(child: 1, pid: 11))
        harness.handle(.childHello(child: 1, tasks: CoreHarness.registrations()))
        let message = harness.message(id: "r")
        let actions = harness.claim(message)
        #expect(actions.runs.isEmpty)
        #expect(actions.stored("r")?.status == .revoked)
        #expect(actions.stores.first?.ackTag == message.deliveryTag)
        #expect(actions.taskEvents.map(\.kind) == [.received, .revoked])
    }

    @Test("a message past its expires time is revoked as expired, at intake or when its turn comes")
    func expired() {
        var harness = CoreHarness.running(concurrency: 1)
        let atIntake = harness.claim(harness.message(id: "old", expires: harness.now.addingTimeInterval(-1)))
        #expect(atIntake.stored("old")?.exception?.message == "expired")
        harness.claim(harness.message("tasks.slow", id: "a"), harness.message(id: "soon", expires: harness.now.addingTimeInterval(1)))
        let later = harness.done(2, after: 2)   // job 1 was "old"
        #expect(later.stored("soon")?.status == .revoked)
        #expect(later.stored("soon")?.exception?.message == "expired")
        #expect(later.runs.isEmpty)
    }

    @Test("revoke: waiting jobs are discarded at once, queued ones dropped in their child, held ones stored REVOKED")
    func revokeControl() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.core.placement.record("tasks.add", seconds: 0.000_1)
        harness.claim(harness.message(id: "running"), harness.message(id: "queued"))
        harness.claim(harness.message("tasks.slow", id: "waiting"), harness.message(id: "held", eta: harness.now.addingTimeInterval(60)))
        let actions = harness.handle(.control(ControlRequest(method: "revoke", arguments: ["task_id": ["queued", "waiting", "held"]]), usage: nil))
        #expect(actions.stored("waiting")?.status == .revoked)
        #expect(actions.drops.map(\.job) == [2])
        #expect(actions.contains { if case .storeIfWaiting(let record) = $0 { return record.taskID == "held" } else { return false } })
        #expect(actions.contains { if case .recordRevoked(let ids, _) = $0 { return ids.count == 3 } else { return false } })
        #expect(harness.job("queued")?.state == .dropping(child: 1))
        #expect(harness.job("queued")?.dropReason == "revoked")
        // The child drops it: it is stored REVOKED and never announced as started.
        let done = harness.done(1)
        #expect(!done.taskEvents.contains { $0 == (.started, "queued") })
        let dropped = harness.done(2, outcome: .dropped)
        #expect(dropped.stored("queued")?.status == .revoked)
        #expect(dropped.stored("queued")?.exception?.message == "revoked")
    }

    @Test("a job whose drop reached its child too late begins, and is announced started when its outcome shows it ran")
    func dropTooLate() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.core.placement.record("tasks.add", seconds: 0.000_1)
        harness.claim(harness.message(id: "running"), harness.message(id: "queued"))
        harness.handle(.control(ControlRequest(method: "revoke", arguments: ["task_id": "queued", "terminate": true]), usage: nil))
        let first = harness.done(1)
        #expect(!first.taskEvents.contains { $0 == (.started, "queued") })
        guard case .running(1, _) = harness.job("queued")?.state else {
            Issue.record("the job at the head of the child's queue did not begin: \(String(describing: harness.job("queued")?.state))")
            return
        }
        // The child had started it before the drop came: it succeeds, announced started first.
        let ran = harness.done(2)
        #expect(ran.taskEvents.map(\.kind) == [.started, .succeeded])
        #expect(ran.stored("queued")?.status == .success)
    }

    @Test("terminate kills the running job's child with the signal asked for; it ends REVOKED terminated")
    func terminate() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.claim(harness.message("tasks.slow", id: "a"))
        let actions = harness.handle(.control(ControlRequest(method: "revoke", arguments: ["task_id": "a", "terminate": true, "signal": "SIGKILL"]), usage: nil))
        #expect(actions.kills.map(\.child) == [1])
        #expect(actions.kills.first?.signal == SIGKILL)
        #expect(actions.replies.first?["ok"]?.stringValue == "terminate: a")
        let exit = harness.handle(.childExited(child: 1, status: SIGKILL, signaled: true))
        #expect(exit.stored("a")?.status == .revoked)
        #expect(exit.stored("a")?.exception?.message == "terminated")
    }
}

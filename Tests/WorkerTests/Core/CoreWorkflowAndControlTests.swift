import Foundation
import Testing
import TaskQ
@testable import TaskQWorker

@Suite("Supervisor core: retries, workflows, remote control, housekeeping (no Redis, no processes)")
struct CoreWorkflowAndControlTests {
    static func control(_ method: String, _ arguments: [String: JSONValue] = [:]) -> SupervisorEvent {
        .control(ControlRequest(method: method, arguments: arguments), usage: nil)
    }

    @Test("a retry stores RETRY and schedules the next attempt: same id, retries + 1, ETA now + countdown")
    func retry() {
        var harness = CoreHarness.running()
        let message = harness.message("tasks.slow", id: "r")
        harness.claim(message)
        let actions = harness.done(1, outcome: .retry(countdown: 5, exception: ExceptionInfo(type: "IOError", message: "down", module: "builtins"), traceback: nil))
        #expect(actions.stored("r")?.status == .retry)
        #expect(actions.stores.first?.ackTag == nil)
        let next = try! #require(actions.scheduled.first)
        #expect(next.message.id == "r")
        #expect(next.message.retries == 1)
        #expect(next.message.parentID == "r")
        #expect(next.due == harness.now.addingTimeInterval(5))
        #expect(next.replacing == message.deliveryTag)
        #expect(actions.taskEvents.map(\.kind) == [.retried])
    }

    @Test("a chain's next step is published with the result prepended; a failure fails the remaining steps")
    func chain() {
        var harness = CoreHarness.running()
        let step: JSONValue = ["task": "tasks.add", "args": [10], "kwargs": [:], "options": ["task_id": "step2"], "immutable": false]
        let last: JSONValue = ["task": "tasks.add", "args": [1], "kwargs": [:], "options": ["task_id": "step3"], "immutable": false]
        var embed = TaskMessage.emptyEmbed
        embed["chain"] = [last, step]
        harness.claim(harness.message(id: "step1", embed: embed), harness.message(id: "other", embed: embed))
        let success = harness.done(1, outcome: .success(result: 3))
        let published = try! #require(success.published.first)
        #expect(published.id == "step2")
        #expect(published.args == [3, 10])
        #expect(published.parentID == "step1")
        #expect(published.embed["chain"] == [last])
        let failure = harness.done(2, outcome: .failure(exception: ExceptionInfo(type: "ValueError", message: "no", module: "builtins"), traceback: nil))
        #expect(failure.stored("step2")?.status == .failure)
        #expect(failure.stored("step3")?.status == .failure)
        #expect(failure.published.isEmpty)
    }

    @Test("a chord header's result is sent to the join; the part that completes it publishes the callback")
    func chordCallback() {
        var harness = CoreHarness.running()
        let callback: JSONValue = ["task": "tasks.sum", "args": [], "kwargs": [:], "options": ["task_id": "cb"], "immutable": false]
        var embed = TaskMessage.emptyEmbed
        embed["chord"] = callback
        harness.claim(harness.message(id: "h1", embed: embed, groupID: "g", extraHeaders: ["group_index": 0]))
        let join = try! #require(harness.done(1, outcome: .success(result: 4)).chordJoins.first)
        #expect(join.entry == [1, "h1", "SUCCESS", 4])
        #expect(join.taskID == "h1" && join.index == 0)
        let completed = harness.handle(.chordJoined(callback: callback, entries: [[1, "h0", "SUCCESS", 2], join.entry], link: join.link))
        #expect(completed.published.first?.id == "cb")
        #expect(completed.published.first?.args == [[2, 4]])
        let failed = harness.handle(.chordJoined(callback: callback, entries: [[1, "h0", "FAILURE", ["exc_type": "ValueError", "exc_message": ["x"], "exc_module": "builtins"]]], link: join.link))
        #expect(failed.stored("cb")?.exception?.type == "ChordError")
    }

    @Test("inspect active and reserved list running jobs, and queued and waiting ones")
    func inspectActiveReserved() {
        var harness = CoreHarness.running(concurrency: 1)
        harness.core.placement.record("tasks.add", seconds: 0.000_1)
        harness.claim(harness.message(id: "a"), harness.message(id: "b"))
        harness.claim(harness.message("tasks.slow", id: "c"))
        let active = harness.handle(Self.control("active")).replies.first?.arrayValue ?? []
        #expect(active.compactMap { $0["id"]?.stringValue } == ["a"])
        #expect(active.first?["worker_pid"] == 1001)
        let reserved = harness.handle(Self.control("reserved")).replies.first?.arrayValue ?? []
        #expect(reserved.compactMap { $0["id"]?.stringValue } == ["b", "c"])
        let query = harness.handle(Self.control("query_task", ["ids": ["a", "c", "zz"]])).replies.first
        #expect(query?["a"]?[0]?.stringValue == "active")
        #expect(query?["c"]?[0]?.stringValue == "reserved")
        #expect(query?["zz"] == nil)
    }

    @Test("pool_grow adds children (at most 64 a request); pool_shrink retires idle ones, keeping one")
    func poolGrowShrink() {
        var harness = CoreHarness.running(concurrency: 2)
        #expect(harness.handle(Self.control("pool_grow", ["n": 1000])).spawnedChildren.count == SupervisorCore.maximumGrowth)
        var small = CoreHarness.running(concurrency: 2)
        let shrink = small.handle(Self.control("pool_shrink", ["n": 5]))
        #expect(shrink.exitRequests == [2])
        #expect(small.core.children[2]?.replaceOnExit == false)
        let exit = small.handle(.childExited(child: 2, status: 0, signaled: false))
        #expect(exit.spawnedChildren.isEmpty)
    }

    @Test("add_consumer and cancel_consumer restart the claimer on the new queue list")
    func consumers() {
        var harness = CoreHarness.running()
        #expect(harness.handle(Self.control("add_consumer", ["queue": "mail"])).startsClaimer == [["celery", "mail"]])
        #expect(harness.handle(Self.control("add_consumer", ["queue": "mail"])).startsClaimer.isEmpty)
        #expect(harness.handle(Self.control("cancel_consumer", ["queue": "celery"])).startsClaimer == [["mail"]])
        #expect(harness.handle(Self.control("cancel_consumer", ["queue": "nope"])).replies.first?["error"] != nil)
    }

    @Test("disable_events stops task events but not the counts or the history; enable_events turns them back on")
    func eventsToggle() {
        var harness = CoreHarness.running()
        harness.handle(Self.control("disable_events"))
        let quiet = harness.claim(harness.message(id: "a"))
        #expect(quiet.taskEvents.isEmpty)
        #expect(quiet.historyEvents.map(\.kind) == [.received, .started])
        harness.done(1)
        #expect(harness.core.counts.succeeded == 1)
        harness.handle(Self.control("enable_events"))
        #expect(harness.claim(harness.message(id: "b")).taskEvents.map(\.kind) == [.received, .started])
    }

    @Test("stats reports totals, the pool's pids and the usage the driver measured")
    func stats() {
        var harness = CoreHarness.running()
        harness.claim(harness.message(id: "a"))
        harness.done(1)
        let usage = ProcessUsage(pid: 4242, rusage: ["utime": 1.5])
        let stats = harness.handle(.control(ControlRequest(method: "stats"), usage: usage)).replies.first
        #expect(stats?["total"]?["tasks.add"] == 1)
        #expect(stats?["pid"] == 4242)
        #expect(stats?["rusage"]?["utime"] == 1.5)
        #expect(stats?["pool"]?["processes"] == [1001, 1002])
    }

    @Test("housekeeping: heartbeats every 2 s, the liveness key, renewals of held deliveries, revoked ids every 10 s")
    func housekeeping() {
        var harness = CoreHarness.running { $0.visibilityTimeout = 3; $0.acksLate = true }
        harness.claim(harness.message("tasks.slow", id: "a"))
        let first = harness.tick()
        #expect(first.workerEvents == [.heartbeat])
        #expect(first.contains { if case .markAlive = $0 { return true } else { return false } })
        #expect(first.contains { if case .renew(let tags) = $0 { return tags.count == 1 } else { return false } })
        let soon = harness.tick(after: 0.5)
        #expect(soon.workerEvents.isEmpty)
        #expect(harness.tick(after: 1.6).workerEvents == [.heartbeat])
        var synced = false
        for _ in 0..<80 where !synced {
            synced = harness.tick(after: 0.1).contains { if case .syncRevoked = $0 { return true } else { return false } }
        }
        #expect(synced)
        #expect(harness.core.lifecycle == .running)
    }

    @Test("a job state step that the model does not allow is refused by the model")
    func jobStateModel() {
        #expect(JobState.pending.allows(.queuedInChild(child: 1)))
        #expect(JobState.queuedInChild(child: 1).allows(.running(child: 1, deadline: nil)))
        #expect(!JobState.pending.allows(.running(child: 1, deadline: nil)))
        #expect(!JobState.finished.allows(.finished))
        #expect(!JobState.running(child: 1, deadline: nil).allows(.pending))
        #expect(ChildState.ready.allows(.retiring) && !ChildState.retiring.allows(.ready) && !ChildState.killed.allows(.ready))
        #expect(WorkerLifecycle.running.allows(.draining(deadline: Date())) && !WorkerLifecycle.flushing.allows(.running))
    }
}

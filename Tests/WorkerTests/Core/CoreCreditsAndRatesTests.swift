import Foundation
import Testing
import TaskQ
@testable import TaskQWorker

@Suite("Supervisor core: prefetch credits and rate gates (no Redis, no processes)")
struct CoreCreditsAndRatesTests {
    static func limited(_ rate: String) -> WorkerTaskOptions {
        var options = WorkerTaskOptions()
        options.rateLimit = rate
        return options
    }

    static func shared(_ rate: String) -> WorkerTaskOptions {
        var options = WorkerTaskOptions()
        options.globalRateLimit = rate
        return options
    }

    @Test("credits are granted up to children × multiplier and renewed as jobs finish")
    func creditsFollowHeldWork() {
        var harness = CoreHarness.running { $0.prefetchMultiplier = 4 }
        // 8 granted at start; 8 claimed spend them all, and the worker holds 8: nothing more.
        let messages = (0..<8).map { harness.message("tasks.slow", id: "m\($0)") }
        #expect(harness.handle(.claimed(messages)).granted == 0)
        #expect(harness.core.credits.outstanding == 0)
        // One finishes: one more may be held.
        #expect(harness.done(1, after: 1).granted == 1)
    }

    @Test("a claim of fewer messages than granted leaves the rest outstanding, so no grant asks twice")
    func outstandingCredits() {
        var harness = CoreHarness.running()
        #expect(harness.claim(harness.message("tasks.slow")).granted == 0)
        #expect(harness.core.credits.outstanding == 7)
    }

    @Test("by default the prefetch follows the run time: 4 per child at first, 128 for short tasks, 1 for long ones")
    func adaptivePrefetch() {
        var harness = CoreHarness.running()
        #expect(harness.core.credits.outstanding == 8)
        let first = (0..<8).map { harness.message("tasks.slow", id: "m\($0)") }
        harness.handle(.claimed(first))
        // Short runs: the limit grows to 128 per child, 256 in all.
        var granted = 0
        for job in 1...8 { granted += harness.done(job, after: 0.000_1).granted }
        #expect(granted == 256)
        #expect(harness.core.prefetchLimit == 256)
        // Long runs pull the average up and the limit down to one per child.
        let more = (0..<256).map { harness.message("tasks.slow", id: "n\($0)") }
        harness.handle(.claimed(more))
        for job in 9...300 where harness.core.jobs[job]?.child != nil { _ = harness.done(job, after: 2) }
        #expect(harness.core.prefetchLimit == 2)
    }

    @Test("prefetch multiplier 0 means no limit but the most held in all")
    func unlimitedPrefetch() {
        var harness = CoreHarness(concurrency: 2) { $0.prefetchMultiplier = 0 }
        harness.startPool(tasks: CoreHarness.registrations())
        #expect(harness.core.credits.outstanding == PrefetchCredits.maximumHeld)
    }

    @Test("jobs held back by a rate limit do not count against prefetch")
    func throttledDoNotCount() {
        var harness = CoreHarness.running(concurrency: 3, tasks: ["tasks.limited": Self.limited("1/m")])
        let actions = harness.claim(harness.message("tasks.limited", id: "a"), harness.message("tasks.limited", id: "b"),
                                    harness.message("tasks.limited", id: "c"))
        // a runs; b and c wait for tokens. Of the 12 the pool may hold, 1 is runnable and
        // 9 are still outstanding from the first grant: 2 more.
        #expect(actions.runIDs == ["a"])
        #expect(harness.core.pending.allSatisfy { $0.state.isWaitingForRate })
        #expect(actions.granted == 2)
    }

    @Test("the worker's own rate limit throttles a job and wakes it when its token is due")
    func localRateLimit() {
        var harness = CoreHarness.running(tasks: ["tasks.limited": Self.limited("1/s")])
        let first = harness.claim(harness.message("tasks.limited", id: "a"), harness.message("tasks.limited", id: "b"))
        #expect(first.runIDs == ["a"])
        guard case .throttled(let until, false) = harness.job("b")?.state else {
            Issue.record("b is not throttled")
            return
        }
        #expect(abs(until - harness.now.timeIntervalSince1970 - 1) < 0.01)
        #expect(first.wakes.count == 1 && abs(first.wakes[0] - 1) < 0.01)
        #expect(harness.tick(after: 0.5).runIDs.isEmpty)
        #expect(harness.tick(after: 0.6).runIDs == ["b"])
    }

    @Test("a throttled job does not hold back jobs of other tasks behind it")
    func throttledDoesNotBlock() {
        var harness = CoreHarness.running(concurrency: 3, tasks: ["tasks.limited": Self.limited("1/m")])
        let actions = harness.claim(harness.message("tasks.limited", id: "a"), harness.message("tasks.limited", id: "b"),
                                    harness.message("tasks.slow", id: "c"))
        #expect(actions.runIDs == ["a", "c"])
    }

    @Test("a shared rate limit asks Redis once per task at a time and runs the job on a granted slot")
    func sharedGranted() {
        var harness = CoreHarness.running(tasks: ["tasks.shared": Self.shared("10/s")])
        let actions = harness.claim(harness.message("tasks.shared", id: "a"), harness.message("tasks.shared", id: "b"))
        #expect(actions.sharedTokenRequests == [1])
        #expect(actions.runs.isEmpty)
        #expect(harness.job("a")?.state == .awaitingSharedToken)
        let answer = harness.handle(.sharedToken(job: 1, task: "tasks.shared", wait: 0))
        #expect(answer.runIDs == ["a"])
        // b waited for the answer; now it asks for its own slot.
        #expect(answer.sharedTokenRequests == [2])
    }

    @Test("a shared limiter that says wait throttles the job until then and asks nothing sooner")
    func sharedWait() {
        var harness = CoreHarness.running(tasks: ["tasks.shared": Self.shared("1/s")])
        harness.claim(harness.message("tasks.shared", id: "a"))
        let answer = harness.handle(.sharedToken(job: 1, task: "tasks.shared", wait: 0.8))
        #expect(answer.wakes == [0.8])
        #expect(harness.tick(after: 0.5).sharedTokenRequests.isEmpty)
        #expect(harness.tick(after: 0.4).sharedTokenRequests == [1])
    }

    @Test("rate_limit by remote control takes effect for the next job and forgets the old bucket")
    func rateLimitControl() {
        var harness = CoreHarness.running(concurrency: 3)
        let reply = harness.handle(.control(ControlRequest(method: "rate_limit", arguments: ["task_name": "tasks.add", "rate_limit": "1/m"]), usage: nil))
        #expect(reply.replies.first?["ok"]?.stringValue == "new rate limit set successfully")
        let actions = harness.claim(harness.message(id: "a"), harness.message(id: "b"))
        #expect(actions.runIDs == ["a"])
        let off = harness.handle(.control(ControlRequest(method: "rate_limit", arguments: ["task_name": "tasks.add", "rate_limit": "0"]), usage: nil))
        #expect(off.replies.first?["ok"]?.stringValue == "rate limit disabled successfully")
        #expect(harness.claim(harness.message(id: "c")).runIDs == ["c"])
        #expect(harness.handle(.control(ControlRequest(method: "rate_limit", arguments: ["task_name": "nope", "rate_limit": "1/s"]), usage: nil))
            .replies.first?["error"]?.stringValue == "unknown task")
    }
}

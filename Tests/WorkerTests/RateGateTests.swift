import Testing
@testable import TaskQWorker

@Suite("Rate gate: local buckets and the shared limit's bookkeeping (no Redis)")
struct RateGateTests {
    @Test("a local limit of 10/s lets one task through per 0.1 s and says how long the next waits")
    func localBucket() {
        var gate = RateGate()
        #expect(gate.takeLocal("t", interval: 0.1, now: 100) == nil)
        let wait = gate.takeLocal("t", interval: 0.1, now: 100.03)
        #expect(wait.map { abs($0 - 0.07) < 1e-9 } == true)
        #expect(gate.takeLocal("t", interval: 0.1, now: 100.2) == nil)
        #expect(gate.takeLocal("other", interval: 0.1, now: 100.2) == nil, "each task has its own bucket")
    }

    @Test("a changed interval, or a reset by remote control, starts a new bucket")
    func newBucket() {
        var gate = RateGate()
        _ = gate.takeLocal("t", interval: 10, now: 0)
        #expect(gate.takeLocal("t", interval: 10, now: 1) != nil)
        #expect(gate.takeLocal("t", interval: 0.5, now: 1) == nil)
        _ = gate.takeLocal("t", interval: 0.5, now: 1)
        gate.resetLocal("t")
        #expect(gate.takeLocal("t", interval: 0.5, now: 1) == nil)
    }

    @Test("a shared limit asks once per task while a question is in flight")
    func oneQuestionInFlight() {
        var gate = RateGate()
        #expect(gate.sharedStep("t", now: 0) == .ask)
        #expect(gate.sharedStep("t", now: 0) == .awaitAnswer)
        #expect(gate.sharedStep("u", now: 0) == .ask, "another task asks for itself")
        #expect(gate.answered("t", wait: 0, now: 0.01) == nil, "a slot: no wait")
        #expect(gate.sharedStep("t", now: 0.02) == .ask)
    }

    @Test("an answer to wait keeps every job of that task from asking again until then")
    func quietAfterNo() {
        var gate = RateGate()
        _ = gate.sharedStep("t", now: 10)
        #expect(gate.answered("t", wait: 0.25, now: 10) == 10.25)
        #expect(gate.sharedStep("t", now: 10.1) == .wait(until: 10.25))
        #expect(gate.sharedStep("t", now: 10.3) == .ask)
    }
}

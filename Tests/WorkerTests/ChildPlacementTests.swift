import Testing
@testable import TaskQWorker

@Suite("Child placement and windows (no Redis)")
struct ChildPlacementTests {
    typealias Candidate = ChildPlacement.Candidate

    static func short() -> ChildPlacement {
        var placement = ChildPlacement()
        placement.record("tasks.add", seconds: 0.0001)
        return placement
    }

    @Test("the lowest-numbered idle child wins, whatever the task")
    func idleFirst() {
        let children = [Candidate(number: 3, accepting: true, held: 0), Candidate(number: 1, accepting: true, held: 2),
                        Candidate(number: 2, accepting: true, held: 0)]
        #expect(ChildPlacement().choose(for: "tasks.slow", hasHardLimit: false, among: children) { _ in true } == 2)
        #expect(Self.short().choose(for: "tasks.add", hasHardLimit: false, among: children) { _ in true } == 2)
    }

    @Test("children not taking work are skipped, even when idle")
    func notAccepting() {
        let children = [Candidate(number: 1, accepting: false, held: 0), Candidate(number: 2, accepting: true, held: 1)]
        #expect(ChildPlacement().choose(for: "tasks.slow", hasHardLimit: false, among: children) { _ in true } == nil)
        #expect(Self.short().choose(for: "tasks.add", hasHardLimit: false, among: children) { _ in true } == 2)
    }

    @Test("with no idle child, a task of unknown or long run time waits for one")
    func longWaits() {
        var placement = ChildPlacement()
        placement.record("tasks.report", seconds: 2)
        let busy = [Candidate(number: 1, accepting: true, held: 1)]
        #expect(placement.choose(for: "tasks.report", hasHardLimit: false, among: busy) { _ in true } == nil)
        #expect(placement.choose(for: "tasks.never_seen", hasHardLimit: false, among: busy) { _ in true } == nil)
    }

    @Test("a short job queues behind the least busy child, ties to the lower number, only behind short jobs")
    func shortQueues() {
        let placement = Self.short()
        let busy = [Candidate(number: 1, accepting: true, held: 3), Candidate(number: 2, accepting: true, held: 1),
                    Candidate(number: 3, accepting: true, held: 1)]
        #expect(placement.choose(for: "tasks.add", hasHardLimit: false, among: busy) { _ in true } == 2)
        #expect(placement.choose(for: "tasks.add", hasHardLimit: false, among: busy) { $0 != 2 } == 3, "child 2 holds a long job")
        #expect(placement.choose(for: "tasks.add", hasHardLimit: false, among: busy) { _ in false } == nil)
    }

    @Test("a hard time limit keeps a job out of every queue")
    func hardLimitNeverQueues() {
        let busy = [Candidate(number: 1, accepting: true, held: 1)]
        #expect(Self.short().choose(for: "tasks.add", hasHardLimit: true, among: busy) { _ in true } == nil)
        #expect(!Self.short().isShort("tasks.add", hasHardLimit: true))
    }

    @Test("the window holds about 20 ms of work by the average run, from 4 to 16 jobs", arguments: [
        (0.000_1, 16), (0.002, 10), (0.004, 5), (0.0049, 4), (1.0, 4),
    ])
    func windows(average: Double, window: Int) {
        var placement = ChildPlacement()
        placement.record("t", seconds: average)
        #expect(placement.window(for: "t") == window)
    }

    @Test("a child at its window takes no more; the average moves by a fifth of each new run")
    func windowBoundAndAverage() {
        var placement = Self.short()
        let full = [Candidate(number: 1, accepting: true, held: ChildPlacement.maximumWindow)]
        #expect(placement.choose(for: "tasks.add", hasHardLimit: false, among: full) { _ in true } == nil)
        placement.record("tasks.add", seconds: 0.0101)
        #expect(abs((placement.averageRuntime["tasks.add"] ?? 0) - 0.0021) < 1e-9)
        placement.record("tasks.add", seconds: 0.05)
        #expect(!placement.isShort("tasks.add", hasHardLimit: false), "an average past 5 ms is no longer short")
    }
}

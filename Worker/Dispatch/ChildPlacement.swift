/// Which child a job goes to, and how many short jobs a child may hold.
///
/// An idle child comes first. When none is idle, a job of a task known to be short may
/// wait in the queue of a busy child that holds only short jobs, so the child has its
/// next task at hand instead of waiting a round trip for it. "Short" is decided by each
/// task's moving-average run time; a task under a hard time limit never waits in a
/// queue, since the kill for it would take the queued jobs' child too.
struct ChildPlacement {
    static let minimumWindow = 4
    static let maximumWindow = 16
    /// How much queued work (seconds, by average run time) a child may hold behind its running job.
    static let queueSeconds = 0.02
    /// Tasks whose average run is shorter than this (seconds) may wait in a child's queue.
    static let shortRuntime = 0.005

    /// A child as placement sees it.
    struct Candidate {
        /// The worker's number for the child.
        let number: Int
        /// Whether it takes new jobs (ready, not retiring).
        let accepting: Bool
        /// Jobs it holds, running and queued.
        let held: Int
    }

    /// Moving average of each task's run time, in seconds.
    private(set) var averageRuntime: [String: Double] = [:]

    /// Moving average of every task's run time, in seconds (nil until one ran).
    private(set) var overallRuntime: Double?

    /// Folds one run of `task` into its average and the overall one (weight 0.2 for the new run;
    /// 0.02 overall, which averages over the last hundred runs or so of whatever ran).
    mutating func record(_ task: String, seconds: Double) {
        averageRuntime[task] = averageRuntime[task].map { $0 * 0.8 + seconds * 0.2 } ?? seconds
        overallRuntime = overallRuntime.map { $0 * 0.98 + seconds * 0.02 } ?? seconds
    }

    /// Whether a job of `task` may wait in a child's queue.
    func isShort(_ task: String, hasHardLimit: Bool) -> Bool {
        guard let average = averageRuntime[task], average < Self.shortRuntime else { return false }
        return !hasHardLimit
    }

    /// Jobs a child holds at most for a short task: one running, the others queued behind it,
    /// about `queueSeconds` of work in all by the task's average run, from 4 to 16. A child with
    /// work at hand is seldom asleep when the next `run` frame comes, so fewer frames wake it.
    func window(for task: String) -> Int {
        let average = max(averageRuntime[task] ?? Self.shortRuntime, 0.000_001)
        return min(Self.maximumWindow, max(Self.minimumWindow, Int(Self.queueSeconds / average)))
    }

    /// The child for a job of `task`: the lowest-numbered idle one, else (for a short job)
    /// the least busy one holding fewer than `window(for:)` jobs, all short; nil when none.
    /// `holdsOnlyShort` is asked last, only of the children that could be chosen: it looks at
    /// every job a child holds, and this runs for every dispatch.
    func choose<Children: Sequence>(for task: String, hasHardLimit: Bool, among children: Children,
                                    holdsOnlyShort: (Int) -> Bool) -> Int?
    where Children.Element == Candidate {
        var idle: Int?
        for child in children where child.accepting && child.held == 0 {
            if idle.map({ child.number < $0 }) ?? true { idle = child.number }
        }
        if let idle { return idle }
        guard isShort(task, hasHardLimit: hasHardLimit) else { return nil }
        let window = window(for: task)
        var best: Candidate?
        for child in children where child.accepting && child.held < window {
            if let current = best, (current.held, current.number) <= (child.held, child.number) { continue }
            guard holdsOnlyShort(child.number) else { continue }
            best = child
        }
        return best?.number
    }
}

/// The rate limits a job meets on its way to a child.
///
/// `rateLimit` is the worker's own: a token bucket per task name. `globalRateLimit` is
/// shared by every worker through one Redis script call per slot; the gate keeps the
/// bookkeeping that holds those calls to about one per interval per worker: at most one
/// question in flight per task, and no question before the time the last answer named.
struct RateGate {
    /// What to do about a job under a shared limit.
    enum SharedStep: Equatable {
        /// Ask Redis for a slot (the gate now counts a question in flight).
        case ask
        /// A question for this task is in flight: wait for its answer.
        case awaitAnswer
        /// The last answer said no slot before this time (epoch seconds).
        case wait(until: Double)
    }

    private var buckets: [String: TokenBucket] = [:]
    private var quietUntil: [String: Double] = [:]
    private var asking: Set<String> = []

    /// Takes the worker's own token for `task` at `now`: nil when it was free, else the
    /// seconds until it is. A changed interval starts a new bucket.
    mutating func takeLocal(_ task: String, interval: Double, now: Double) -> Double? {
        var bucket = buckets[task] ?? TokenBucket(interval: interval)
        if bucket.interval != interval { bucket = TokenBucket(interval: interval) }
        let wait = bucket.take(at: now)
        buckets[task] = bucket
        return wait
    }

    /// Forgets `task`'s bucket (its limit changed by remote control).
    mutating func resetLocal(_ task: String) {
        buckets[task] = nil
    }

    /// The next step for a job of `task` under a shared limit, at `now`.
    mutating func sharedStep(_ task: String, now: Double) -> SharedStep {
        if asking.contains(task) { return .awaitAnswer }
        if let quiet = quietUntil[task], quiet > now { return .wait(until: quiet) }
        asking.insert(task)
        return .ask
    }

    /// Redis answered the question for `task`: a slot (`wait` ≤ 0), or none for `wait`
    /// seconds; returns the time to wait until, if any.
    mutating func answered(_ task: String, wait: Double, now: Double) -> Double? {
        asking.remove(task)
        guard wait > 0 else { return nil }
        let until = now + wait
        quietUntil[task] = until
        return until
    }
}

/// How many messages the worker holds ahead: the `--prefetch-multiplier` given, or by
/// default about `aheadSeconds` of work per task slot by the measured run time.
///
/// The default keeps short tasks flowing (a child never waits a round trip for its next
/// message) and stays fair for long ones: a worker running 1-second tasks holds one per
/// slot, so a second worker started beside it gets the rest of the queue.
enum PrefetchRule: Equatable, Sendable {
    /// `--prefetch-multiplier N`: N per slot, obeyed as given (0: no limit but `PrefetchCredits.maximumHeld`).
    case fixed(Int)
    /// No flag: sized by the average run time.
    case adaptive

    /// Seconds of work the default holds per slot.
    static let aheadSeconds = 0.1
    /// The default's multipliers, fewest to most.
    static let adaptiveRange = 1...128
    /// The default's multiplier before any task has run (Celery's default).
    static let startingMultiplier = 4
    /// The most the default holds in all, unless the slots alone are more (an async pool's `-c 1000`).
    static let adaptiveHeldCap = 1_024

    /// The rule for a `--prefetch-multiplier` given or not.
    init(multiplier: Int?) {
        self = multiplier.map(PrefetchRule.fixed) ?? .adaptive
    }

    /// The multiplier in force when tasks average `averageRuntime` seconds (nil: none ran yet).
    func multiplier(averageRuntime: Double?) -> Int {
        switch self {
        case .fixed(let multiplier):
            return multiplier
        case .adaptive:
            guard let averageRuntime else { return Self.startingMultiplier }
            let wanted = Self.aheadSeconds / max(averageRuntime, 0.000_001)
            return Int(min(max(wanted, Double(Self.adaptiveRange.lowerBound)), Double(Self.adaptiveRange.upperBound)))
        }
    }

    /// How many runnable messages a worker with `slots` task slots may hold.
    func limit(slots: Int, averageRuntime: Double?) -> Int {
        let multiplier = multiplier(averageRuntime: averageRuntime)
        let limit = PrefetchCredits.limit(children: slots, multiplier: multiplier)
        guard case .adaptive = self else { return limit }
        return min(limit, max(slots, Self.adaptiveHeldCap))
    }
}

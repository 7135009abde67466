/// Celery's prefetch limit, kept as credits the claimer may spend.
///
/// The worker holds at most its limit of runnable messages (`PrefetchRule`: slots ×
/// multiplier; claimed, waiting or running; rate-limited ones do not count), and never more than
/// `maximumHeld` in all (or the limit, when that is higher). Credits granted and not yet spent on a claim are `outstanding`,
/// so a grant never asks for messages already on their way.
struct PrefetchCredits: Equatable {
    /// The most messages held at once, rate-limited ones included.
    static let maximumHeld = 5000

    /// Credits granted to the claimer that it has not spent yet.
    private(set) var outstanding = 0

    /// How many runnable messages may be held: `children × multiplier`, at least 1; a
    /// multiplier of 0 means no limit but `maximumHeld`, as in Celery.
    static func limit(children: Int, multiplier: Int) -> Int {
        multiplier <= 0 ? maximumHeld : max(1, children * multiplier)
    }

    /// The credits to grant now for a worker that may hold `limit` runnable messages and holds
    /// `held`, of which `throttled` wait for a rate limit; 0 when none. Granted credits count as outstanding.
    mutating func grant(limit: Int, held: Int, throttled: Int) -> Int {
        let runnable = held - throttled
        // The cap on everything held never falls below the runnable limit (an async pool's -c may pass it).
        let wanted = min(limit - runnable, max(Self.maximumHeld, limit) - held) - outstanding
        guard wanted > 0 else { return 0 }
        outstanding += wanted
        return wanted
    }

    /// The claimer delivered `count` messages, spending as many credits.
    mutating func spent(_ count: Int) {
        outstanding -= count
    }

    /// A new claimer starts with no credits.
    mutating func reset() {
        outstanding = 0
    }
}

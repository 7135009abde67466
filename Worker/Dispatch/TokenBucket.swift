/// Celery's per-worker rate limiter: a token bucket of capacity 1 refilled at the rate.
///
/// A caller that comes back a little late keeps the cadence (the next token is
/// due one interval after the previous one), but tokens never pile up: at most
/// one task runs early.
struct TokenBucket {
    /// Seconds per token.
    let interval: Double
    private var nextFree: Double = -.infinity

    init(interval: Double) {
        self.interval = interval
    }

    /// Takes the token if it is free at `now` (seconds); otherwise returns how long until it is.
    mutating func take(at now: Double) -> Double? {
        guard now >= nextFree else { return nextFree - now }
        nextFree = (now - nextFree < interval ? nextFree : now) + interval
        return nil
    }
}

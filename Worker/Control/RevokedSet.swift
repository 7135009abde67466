import FoundationEssentials

/// The task ids a worker must not run, each until its revocation expires (Celery's
/// `LimitedSet`: 3 hours, at most 50,000 ids, oldest dropped first).
///
/// Redis' `taskq:revoked` (scored by expiry) is the shared copy; this one answers
/// `contains` on the hot path without a round trip.
struct RevokedSet {
    /// How long a revocation lasts, in seconds (Celery's `CELERY_WORKER_REVOKE_EXPIRES`).
    static let lifetime: Double = 3 * 3600
    /// The most ids kept (Celery's `CELERY_WORKER_REVOKES_MAX`).
    static let capacity = 50_000

    private var expiries: [String: Double] = [:]

    /// Whether `id` is revoked (and the revocation has not expired).
    func contains(_ id: String, now: Double = Date().timeIntervalSince1970) -> Bool {
        guard let expiry = expiries[id] else { return false }
        return expiry > now
    }

    /// Adds ids revoked now.
    mutating func insert(_ ids: [String], now: Double = Date().timeIntervalSince1970) {
        merge(ids.map { ($0, now + Self.lifetime) }, now: now)
    }

    /// Adds ids with their expiry times (as read from Redis), then drops expired ones
    /// and, past the capacity, the ones expiring first.
    mutating func merge(_ entries: [(id: String, expiry: Double)], now: Double = Date().timeIntervalSince1970) {
        for (id, expiry) in entries { expiries[id] = max(expiries[id] ?? 0, expiry) }
        expiries = expiries.filter { $0.value > now }
        if expiries.count > Self.capacity {
            let keep = expiries.sorted { $0.value > $1.value }.prefix(Self.capacity)
            expiries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    /// The ids still revoked, sorted (for `inspect revoked` and `hello`).
    func sortedIDs(now: Double) -> [String] {
        expiries.filter { $0.value > now }.keys.sorted()
    }
}

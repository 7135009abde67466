import FoundationEssentials
import TaskQ

/// The header signatures this worker has taken in the last replay window: a message
/// pushed again with the same signature is refused (TaskQ's `--require-header-signature`).
///
/// It is this worker's memory: a copy taken by another worker within the window is caught
/// only by that worker's window check. A message the worker holds for its ETA is forgotten
/// when held, so that it is taken once more when it comes due.
struct ReplayGuard {
    private var seen: [String: Date] = [:]
    private var lastPrune = Date.distantPast

    /// Records `signature`; false when it was seen within `window` seconds before `now`.
    mutating func admit(_ signature: String, now: Date, window: Double) -> Bool {
        if now.timeIntervalSince(lastPrune) > window / 4 {
            seen = seen.filter { now.timeIntervalSince($0.value) <= window }
            lastPrune = now
        }
        if let first = seen[signature], now.timeIntervalSince(first) <= window { return false }
        seen[signature] = now
        return true
    }

    /// Forgets `signature`, for a message that will legitimately come back (held for its ETA).
    mutating func forget(_ signature: String) { seen[signature] = nil }
}

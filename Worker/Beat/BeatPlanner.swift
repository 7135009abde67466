import FoundationEssentials
import TaskQ

/// What a leading beat does with a due slot (pure; the clock is the Redis server's `now`).
///
/// A slot overdue by at most `catchUp` seconds is sent as it is and the next slot follows it,
/// so a failover (the lease runs out, another beat takes over) sends every slot, late. A slot
/// overdue by more (no beat ran for a while) is sent once, now, the slots missed since are
/// counted and skipped, and the next slot is the first after now: Celery beat's behaviour.
struct BeatPlanner: Sendable {
    /// Seconds a slot may be late and still be sent on its own.
    let catchUp: Double

    /// A slot sent within this many seconds of its time is on time whatever `catchUp` says
    /// (with `--catch-up 0`, every slot is a few milliseconds late when it is claimed; planning
    /// the next one from `now` would let the schedule drift by that much each time).
    static let punctuality = 1.0

    /// One send: the slot it settles, the slot planned after it, and the slots skipped.
    struct Send: Equatable {
        var slot: Date
        var next: Date
        var missed: Int
    }

    /// The first slot of an entry a beat plans afresh (new, changed or resumed): the rule's
    /// first firing after `now`.
    func firstSlot(_ rule: ScheduleRule, now: Date) -> Date {
        rule.nextFire(after: now)
    }

    /// The send for `slot`, due at `now`.
    func send(_ rule: ScheduleRule, slot: Date, now: Date) -> Send {
        if now.timeIntervalSince(slot) <= max(catchUp, Self.punctuality) {
            return Send(slot: slot, next: rule.nextFire(after: slot), missed: 0)
        }
        let missed = max(0, rule.missedFirings(from: slot, until: now) - 1)
        return Send(slot: slot, next: rule.nextFire(after: now), missed: missed)
    }
}

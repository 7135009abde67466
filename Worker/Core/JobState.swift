import FoundationEssentials
import TaskQ

/// Where one job stands, from the claim to its end. Changed only by `Job.move(to:)`.
///
///     pending ─┬─> throttled(until) ──────────┐
///              ├─> awaitingSharedToken ───────┤ (back to pending when due or answered)
///              └─> queuedInChild(child) ─> running(child, deadline) ─> finished
///                     │                        ├─> cancelling(child, killAt, …) ─> finished
///                     │                        │        └─> killed(child, …) ─> finished
///                     │                        └─> killed(child, reason) ─> finished
///                     └─> dropping(child) ─┬─> finished
///                                          └─> running (the drop reached the child after it started the job)
///
/// A prefork child may hold several jobs at once: one running, the others queued behind it;
/// an async child runs all the jobs it holds at once.
enum JobState: Equatable {
    /// Waits in the worker for a child.
    case pending
    /// A rate limit holds it back until `until` (epoch seconds); `holdsSharedToken` when the
    /// shared limiter already booked its slot and only the worker's own limit is left.
    case throttled(until: Double, holdsSharedToken: Bool)
    /// The shared rate limiter was asked for a slot; the answer is on its way.
    case awaitingSharedToken
    /// The shared rate limiter booked a slot; the next free child takes it.
    case holdsSharedToken
    /// Sent to `child`, waiting behind the job it runs.
    case queuedInChild(child: Int)
    /// Running on `child`; a hard time limit kills it at `deadline`.
    case running(child: Int, deadline: Date?)
    /// A revoke asked `child` to drop it unstarted (the reason is `Job.dropReason`).
    case dropping(child: Int)
    /// Its task was cancelled in its (async) child for a hard time limit or a terminate; it ends
    /// with this state and exception, and its child is killed if it still runs at `killAt`.
    case cancelling(child: Int, killAt: Date, state: TaskState, exception: ExceptionInfo)
    /// Its child was killed on purpose (hard time limit, terminate): it ends with this state and exception.
    case killed(child: Int, state: TaskState, exception: ExceptionInfo)
    /// Its outcome is settled.
    case finished

    /// The end the worker decided for it when it cancelled its task or killed its child.
    var decidedEnd: (state: TaskState, exception: ExceptionInfo)? {
        switch self {
        case .cancelling(_, _, let state, let exception), .killed(_, let state, let exception): return (state, exception)
        default: return nil
        }
    }

    /// Whether `next` is a legal step from here.
    func allows(_ next: JobState) -> Bool {
        switch (self, next) {
        case (_, .finished): return self != .finished
        case (.pending, .throttled), (.pending, .awaitingSharedToken), (.pending, .queuedInChild),
             (.throttled, .pending), (.throttled, .throttled), (.throttled, .holdsSharedToken), (.throttled, .queuedInChild),
             (.awaitingSharedToken, .throttled), (.awaitingSharedToken, .holdsSharedToken), (.awaitingSharedToken, .pending),
             (.holdsSharedToken, .throttled), (.holdsSharedToken, .queuedInChild),
             (.queuedInChild, .running), (.queuedInChild, .dropping), (.queuedInChild, .pending),
             (.running, .killed), (.running, .cancelling), (.cancelling, .killed),
             (.dropping, .pending), (.dropping, .running):
            return true
        default:
            return false
        }
    }

    /// The child holding the job, if one does.
    var child: Int? {
        switch self {
        case .queuedInChild(let child), .running(let child, _), .dropping(let child), .killed(let child, _, _),
             .cancelling(let child, _, _, _):
            return child
        default:
            return nil
        }
    }

    /// Whether a rate limit holds it back (it then does not count against prefetch).
    var isWaitingForRate: Bool {
        switch self {
        case .throttled, .awaitingSharedToken: return true
        default: return false
        }
    }

    /// Whether the shared limiter booked its slot.
    var holdsSharedSlot: Bool {
        switch self {
        case .holdsSharedToken, .throttled(_, true): return true
        default: return false
        }
    }
}

/// Where a delivery's ack stands (the ack ledger of one job).
enum AckState: Equatable {
    /// Not acked: the delivery stays in `unacked` until a write settles it.
    case pending
    /// An early ack that is decided but not yet written: it goes out with the job's
    /// result (one script call) when the task finishes first, else with the next tick.
    case deferred
    /// Acked in Redis.
    case written
}

import FoundationEssentials
import TaskQ

/// One delivered message on its way through the worker.
final class Job {
    /// The worker's own number for it (used in frames).
    let number: Int
    /// The decoded message.
    let message: TaskMessage
    /// Where and how it was claimed.
    let claimed: ClaimedMessage
    /// The task's registration.
    let info: TaskInfo
    /// When the worker received it.
    let receivedAt: Date
    /// Whether the task acks after it finishes.
    let acksLate: Bool
    /// The child running it.
    var child: Int?
    /// When it started on a child.
    var startedAt: Date?
    /// When the hard time limit kills it.
    var hardDeadline: Date?
    /// The hard time limit in seconds, if any.
    var hardLimit: Double?
    /// Where the delivery's ack stands.
    enum AckState {
        /// Not acked: the delivery stays in `unacked` until a write settles it.
        case pending
        /// An early ack that is decided but not yet written: it goes out with the job's
        /// result (one script call) when the task finishes first, else with the next tick.
        case deferred
        /// Acked in Redis.
        case written
    }

    /// Where the delivery's ack stands.
    var ack = AckState.pending

    /// Whether the delivery counts as acked (an early-acking task that started).
    var acked: Bool { ack != .pending }
    /// Held back by a rate limit until this time (epoch seconds).
    var throttledUntil: Double?
    /// Asked the shared rate limiter and waiting for its answer.
    var waitingForGlobalToken = false
    /// The shared rate limiter booked a slot for it.
    var hasGlobalToken = false
    /// A revoke ("revoked") or terminate ("terminated") asked its child to drop it unstarted.
    var dropRequested: String?
    /// Why the worker killed its child on purpose (time limit, terminate), if it did.
    var killedFor: (state: TaskState, exception: ExceptionInfo)?

    init(number: Int, message: TaskMessage, claimed: ClaimedMessage, info: TaskInfo, acksLate: Bool) {
        self.number = number
        self.message = message
        self.claimed = claimed
        self.info = info
        self.acksLate = acksLate
        self.receivedAt = Date()
    }

    /// Whether a rate limit holds it back (it then does not count against prefetch).
    var isWaitingForRate: Bool { throttledUntil != nil || waitingForGlobalToken }

    /// `tasks.add[<id>]`, as log lines name a task.
    var label: String { "\(message.name)[\(message.id)]" }

    /// The list the message goes back to when it is restored.
    var homeList: String { message.targetList(fallbackQueue: claimed.queue) }
}

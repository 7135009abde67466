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
    /// Where it stands; see `JobState`.
    private(set) var state = JobState.pending
    /// Where its delivery's ack stands.
    var ack = AckState.pending
    /// When it began on a child (kept once set, for run times and events).
    private(set) var startedAt: Date?
    /// Why the worker asked its child to drop it ("revoked" or "terminated"), if it did.
    var dropReason: String?
    /// The hard time limit in force when it was sent to a child, in seconds.
    var hardLimit: Double?
    /// The state this worker last wrote to the task's monitor history (`nil`: none yet).
    var recordedState: String?
    /// The task's score in the history's indexes, given with its first record.
    var historyScore: Double?
    /// The task's monitor history fields as this worker's events set them, oldest first
    /// (a later value of a field wins); written whole at each history flush.
    var historyFields: [(TaskHistoryField, String)] = []

    init(number: Int, message: TaskMessage, claimed: ClaimedMessage, info: TaskInfo, acksLate: Bool, receivedAt: Date) {
        self.number = number
        self.message = message
        self.claimed = claimed
        self.info = info
        self.acksLate = acksLate
        self.receivedAt = receivedAt
    }

    /// The one place a job's state changes. An illegal step is a bug in the core.
    func move(to next: JobState, at now: Date? = nil) {
        assert(state.allows(next), "job \(number): \(state) -> \(next)")
        if case .running = next, startedAt == nil { startedAt = now }
        state = next
    }

    /// Whether the delivery counts as acked (an early-acking task that started).
    var acked: Bool { ack != .pending }

    /// The child holding it, if one does.
    var child: Int? { state.child }

    /// `tasks.add[<id>]`, as log lines name a task.
    var label: String { "\(message.name)[\(message.id)]" }

    /// The list the message goes back to when it is restored.
    var homeList: String { message.targetList(fallbackQueue: claimed.queue) }

    /// The delivery and its home list.
    var delivery: Delivery { Delivery(tag: claimed.deliveryTag, list: homeList) }
}

/// The fields of a task's history record, `taskq:task:<id>` (see ``HistoryKeys`` and ``TaskHistoryJSON``).
///
/// Workers write them as events arrive; the monitor reads them back as Flower's task dict.
/// Every value is a string: times are epoch seconds as Swift prints a `Double`, reprs are
/// bounded, and an absent or empty value means "not known".
package enum TaskHistoryField: String, CaseIterable, Sendable {
    /// The task id (written by the history script with every record).
    case uuid
    /// The task name.
    case name
    /// The latest state: `RECEIVED`, `STARTED`, `SUCCESS`, `FAILURE`, `RETRY` or `REVOKED`.
    case state
    /// The node name of the worker that last reported on the task.
    case worker
    /// When the latest event was recorded.
    case timestamp

    /// When the worker received the task.
    case received
    /// When the task was sent. Flower's task dict has it; TaskQ workers do not record it.
    case sent
    /// When the task started running.
    case started
    /// When the task was rejected. Flower's task dict has it; TaskQ workers do not record it.
    case rejected
    /// When the task succeeded.
    case succeeded
    /// When the task failed.
    case failed
    /// When the task was scheduled for a retry.
    case retried
    /// When the task was revoked.
    case revoked

    /// The positional arguments' repr (bounded).
    case args
    /// The keyword arguments' repr (bounded).
    case kwargs
    /// The positional arguments as JSON, kept while small, for the monitor's Retry.
    case argsJSON = "args_json"
    /// The keyword arguments as JSON, kept while small, for the monitor's Retry.
    case kwargsJSON = "kwargs_json"
    /// How many times the task has been retried.
    case retries
    /// The id of the first task of the workflow this one belongs to.
    case rootID = "root_id"
    /// The id of the task that sent this one, or empty.
    case parentID = "parent_id"
    /// The message's `eta` header, or empty.
    case eta
    /// The message's `expires` header, or empty.
    case expires
    /// The routing key the task was claimed with.
    case routingKey = "routing_key"
    /// The queue the task was claimed from.
    case queue
    /// The exchange. Flower's task dict has it; TaskQ workers do not record it.
    case exchange

    /// The result's repr (bounded).
    case result
    /// Seconds the task ran.
    case runtime
    /// The exception's repr (bounded), or why it was revoked (`expired`, `terminated`, `revoked`).
    case exception
    /// The traceback (bounded).
    case traceback
}

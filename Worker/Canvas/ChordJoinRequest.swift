import TaskQ

/// One header task's part of a chord join.
struct ChordJoinRequest {
    /// The chord's group id.
    let group: String
    /// The header task's id.
    let taskID: String
    /// `[1, task_id, state, result]`, as Celery stores it.
    let entry: JSONValue
    /// The task's `group_index`.
    let index: Int
    /// Seconds the join keys live.
    let expiry: Int
    /// The chord's callback signature.
    let callback: JSONValue
    /// What the callback inherits.
    let link: FollowUpLink
    /// The header task as log lines name it.
    let label: String
}

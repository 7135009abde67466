/// What a follow-up message (chain step, callback, errback, chord callback) inherits from
/// the task it follows: its parent, the workflow's root, and the queue to fall back on.
struct FollowUpLink: Sendable {
    /// The task it follows (`parent_id`).
    let parentID: String
    /// The first task of the workflow (`root_id`).
    let rootID: String
    /// The queue used when the signature names none.
    let queue: String
}

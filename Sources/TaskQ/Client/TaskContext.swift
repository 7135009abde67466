/// What a running task knows about itself, like Celery's `self.request`.
public struct TaskContext: Sendable {
    /// The task id.
    public let id: String
    /// The registered task name.
    public let name: String
    /// How many times this task was retried before this attempt.
    public let retries: Int
    /// The first task of the workflow.
    public let rootID: String?
    /// The task that sent this one.
    public let parentID: String?

    /// The context of the task running on the current Swift task, if any.
    @TaskLocal public static var current: TaskContext?
}

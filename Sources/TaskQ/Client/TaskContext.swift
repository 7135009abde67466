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
    /// The soft time limit of this run, in seconds, if it has one.
    public let softTimeLimit: Double?
    /// When this run started.
    let started = ContinuousClock.now
    /// The task's place in a workflow (`TaskMessage.workflowPlace`), if it has one.
    let workflow: JSONValue?
    /// The app the task runs in, which sends what `replace` and `addToChord` start.
    let app: App?

    init(id: String, name: String, retries: Int, rootID: String?, parentID: String?, softTimeLimit: Double? = nil,
         workflow: JSONValue? = nil, app: App? = nil) {
        self.id = id
        self.name = name
        self.retries = retries
        self.rootID = rootID
        self.parentID = parentID
        self.softTimeLimit = softTimeLimit
        self.workflow = workflow
        self.app = app
    }

    /// The group this task belongs to (a group's member or a chord's header task).
    public var groupID: String? { workflow?["group"]?.stringValue }
    /// The task's place in its group.
    public var groupIndex: Int? { workflow?["group_index"]?.intValue }

    /// Throws `SoftTimeLimitExceeded` once the running task's soft time limit has passed.
    ///
    /// The task is also cancelled at that moment (so `Task.sleep` and other cancellable
    /// waits end); call this where a task checks for cancellation, and catch
    /// `SoftTimeLimitExceeded` to clean up, as a Celery task catches it.
    public static func checkSoftTimeLimit() throws {
        guard let context = current, let limit = TimeLimitRange.clamped(context.softTimeLimit) else { return }
        if ContinuousClock.now - context.started >= .seconds(limit) {
            throw SoftTimeLimitExceeded(limit: limit)
        }
    }

    /// The context of the task running on the current Swift task, if any.
    @TaskLocal public static var current: TaskContext?
}

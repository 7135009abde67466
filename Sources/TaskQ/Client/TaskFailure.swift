/// A task that ended in FAILURE or REVOKED, as `get()` reports it.
public struct TaskFailure: Error, CustomStringConvertible, Sendable {
    /// The task id.
    public let taskID: String
    /// FAILURE or REVOKED.
    public let state: TaskState
    /// The stored exception: type, message, module.
    public let exception: ExceptionInfo
    /// The traceback text the worker stored.
    public let traceback: String?

    /// Creates a failure record.
    public init(taskID: String, state: TaskState, exception: ExceptionInfo, traceback: String?) {
        self.taskID = taskID
        self.state = state
        self.exception = exception
        self.traceback = traceback
    }

    /// The exception's type name, e.g. `DemoError` or `NotRegistered`.
    public var type: String { exception.type }
    /// The exception's message.
    public var message: String { exception.message }

    public var description: String { "task \(taskID) \(state == .revoked ? "was revoked" : "failed"): \(exception)" }
}

/// What a finished task produced: its value, or its failure.
public enum TaskOutcome<Output: Sendable>: Sendable {
    /// The task succeeded with this value.
    case success(Output)
    /// The task failed or was revoked.
    case failure(TaskFailure)

    /// The value, or `nil` on failure.
    public var value: Output? {
        if case .success(let value) = self { return value }
        return nil
    }

    /// The failure, or `nil` on success.
    public var failure: TaskFailure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

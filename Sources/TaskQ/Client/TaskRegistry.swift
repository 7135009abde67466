import FoundationEssentials

/// A task as the app registered it: name, options and a type-erased body.
package struct RegisteredTask: Sendable {
    /// The task name, e.g. `tasks.add`.
    package let name: String
    /// Worker-side behaviour.
    package let options: TaskOptions
    /// Declared parameter names, used to bind keyword arguments.
    package let parameterNames: [String]?
    /// Runs the body with decoded arguments and returns the encoded result.
    package let run: @Sendable (TaskCall) async throws -> JSONValue
}

/// The tasks an app knows, by name.
package final class TaskRegistry: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = PosixLock()
    private var tasks: [String: RegisteredTask] = [:]

    package init() {}

    /// Adds or replaces a task.
    package func register(_ task: RegisteredTask) {
        lock.withLock { tasks[task.name] = task }
    }

    /// The task with this name.
    package func task(named name: String) -> RegisteredTask? {
        lock.withLock { tasks[name] }
    }

    /// Every task, sorted by name.
    package var all: [RegisteredTask] {
        lock.withLock { tasks.values.sorted { $0.name < $1.name } }
    }
}

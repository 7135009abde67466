import FoundationEssentials
import Synchronization

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
package final class TaskRegistry: Sendable {
    private let tasks = Mutex<[String: RegisteredTask]>([:])

    package init() {}

    /// Adds or replaces a task.
    package func register(_ task: RegisteredTask) {
        tasks.withLock { $0[task.name] = task }
    }

    /// The task with this name.
    package func task(named name: String) -> RegisteredTask? {
        tasks.withLock { $0[name] }
    }

    /// Every task, sorted by name.
    package var all: [RegisteredTask] {
        tasks.withLock { $0.values.sorted { $0.name < $1.name } }
    }
}

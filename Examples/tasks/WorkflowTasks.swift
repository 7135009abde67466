import TaskQ

/// Tasks that change their workflow while they run: they replace themselves with a new
/// canvas (Celery's `self.replace`) or add a task to the chord they belong to.
func registerWorkflowTasks(in app: App, add: TaskDefinition<Int, Int, Int>, mul: TaskDefinition<Int, Int, Int>) {
    app.task("tasks.replace_with_mul", parameters: ["x"]) { (x: Int) async throws -> Int in
        try await TaskContext.replace(with: mul.s(x, 10))
    }

    app.task("tasks.replace_with_chain", parameters: ["x"]) { (x: Int) async throws -> Int in
        try await TaskContext.replace(with: add.s(x, 1) | mul.s(2))
    }

    app.task("tasks.replace_with_group", parameters: ["n"]) { (n: Int) async throws -> [Int] in
        try await TaskContext.replace(with: group((0..<n).map { mul.s($0, 2) }))
    }

    app.task("tasks.add_to_chord", parameters: ["x"]) { (x: Int) async throws -> Int in
        try await TaskContext.addToChord(add.s(x, 100))
        return x
    }

    /// An errback: Celery calls it with the id of the task that failed.
    app.task("tasks.record_error", parameters: ["task_id"]) { (taskID: String) in
        "errback for \(taskID)"
    }
}

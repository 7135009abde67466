extension App {
    /// A typed handle on a task this app does not run: a Python task, or one another
    /// executable registers. Nothing is registered here; the handle sends the task and
    /// builds its signatures with the types given.
    ///
    /// ```swift
    /// let pyAdd = app.remoteTask("pytasks.add", arguments: Int.self, Int.self, returns: Int.self)
    /// let sum = try await (pyAdd.s(2, 2) | mul.s(4)).delay()
    /// ```
    public func remoteTask<each Argument: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String, arguments: repeat (each Argument).Type, returns: Output.Type, options: TaskOptions = TaskOptions()
    ) -> TaskDefinition<repeat each Argument, Output> {
        TaskDefinition(name: name, options: options, app: self)
    }
}

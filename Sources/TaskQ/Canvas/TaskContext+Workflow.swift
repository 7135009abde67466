/// What a running task can do to its workflow: replace itself (Celery's `self.replace`)
/// and add a task to the chord it belongs to (`self.add_to_chord`).
extension TaskContext {
    /// Replaces the running task with `canvas`, which runs under this task's id and takes
    /// over its place: the rest of its chain, its chord, its callbacks and errbacks. The
    /// caller's result is the replacement's. A group becomes a chord whose callback returns
    /// the group's results (`celery.accumulate`), as in Celery.
    ///
    /// ```swift
    /// app.task("tasks.fan_out") { (n: Int) async throws -> [Int] in
    ///     try await TaskContext.replace(with: group((0..<n).map { double.s($0) }))
    /// }
    /// ```
    public static func replace(with canvas: some Canvas) async throws -> Never {
        guard let context = current, let app = context.app else {
            throw TaskQError.workflow("replace(with:) is called from a task run by a worker; this is not one")
        }
        try await context.replace(with: canvas.anyCanvas.dict, app: app)
    }

    /// Adds `signature` to the chord this task is a header task of: the chord's callback
    /// then waits for it too, and gets its result after the header's (Celery's `add_to_chord`).
    @discardableResult
    public static func addToChord<Output>(_ signature: Signature<Output>) async throws -> AsyncResult<Output> {
        guard let context = current, let app = context.app else {
            throw TaskQError.workflow("addToChord is called from a task run by a worker; this is not one")
        }
        guard let chord = context.workflow?["chord"], !chord.isNull, let group = context.groupID else {
            throw TaskQError.workflow("task \(context.name)[\(context.id)] is not a header task of a chord, so it cannot add to one")
        }
        var dict = signature.dict
        dict = CanvasDict.setting("group_id", .string(group), in: dict)
        dict = CanvasDict.setting("group_index", context.workflow?["group_index"] ?? .null, in: dict)
        dict = CanvasDict.setting("chord", chord, in: dict)
        dict = CanvasDict.setting("root_id", context.rootID.map(JSONValue.string) ?? .null, in: dict)
        let frozen = CanvasFreezer.freeze(dict, replyTo: App.replyTo)
        do {
            _ = try await app.connections.backend().command(RedisCommand("INCR", CeleryKeys.groupMeta(group) + ".t"))
        } catch {
            throw TaskQError.wrapping(error)
        }
        var planner = CanvasPlanner(settings: app.canvasSettings)
        planner.apply(frozen.dict, placement: CanvasPlanner.Placement(parentID: context.id, rootID: context.rootID))
        try await app.send(planner)
        return AsyncResult(node: frozen.result, app: app)
    }

    private func replace(with given: JSONValue, app: App) async throws -> Never {
        var dict = given
        if CanvasDict.kind(of: dict) == .group {
            let accumulate = CanvasDict.task("celery.accumulate", args: [], kwargs: ["index": 0], options: [:], immutable: false)
            dict = CanvasDict.chord(header: dict, body: accumulate)
        }
        for callback in workflow?["callbacks"]?.arrayValue ?? [] { dict = CanvasDict.appending(callback, to: "link", in: dict) }
        for errback in workflow?["errbacks"]?.arrayValue ?? [] { dict = CanvasDict.appending(errback, to: "link_error", in: dict) }
        if CanvasDict.kind(of: dict) == .chord, let body = CanvasDict.body(of: dict) {
            // A chord's own id is its header group's; the replacement's result is its body's.
            dict = CanvasDict.chord(header: CanvasDict.headerGroup(of: dict), body: CanvasDict.setting("task_id", .string(id), in: body),
                                    options: CanvasDict.options(of: dict))
        } else {
            dict = CanvasDict.setting("task_id", .string(id), in: dict)
        }
        if let chord = workflow?["chord"], !chord.isNull { dict = CanvasDict.setting("chord", chord, in: dict) }
        if let group = groupID { dict = CanvasDict.setting("group_id", .string(group), in: dict) }
        if let index = groupIndex { dict = CanvasDict.setting("group_index", .int(index), in: dict) }
        let nesting = (workflow?["replaced_task_nesting"]?.intValue ?? 0) + 1
        dict = CanvasDict.setting("replaced_task_nesting", .int(nesting), in: dict)
        if let rest = workflow?["chain"]?.arrayValue, !rest.isEmpty {
            let following = rest.reversed().map { CanvasDict.setting("replaced_task_nesting", .int(nesting), in: $0) }
            dict = CanvasDict.chain([dict] + following)
        }
        var planner = CanvasPlanner(settings: app.canvasSettings)
        planner.apply(dict, placement: CanvasPlanner.Placement(parentID: id, rootID: rootID ?? id))
        try await app.send(planner)
        throw TaskReplaced(taskID: id)
    }
}

/// Thrown by `TaskContext.replace(with:)` once the replacement is sent: the worker then
/// stores nothing for the replaced run (Celery's `Ignore`). Let it propagate.
public struct TaskReplaced: Error, Sendable, CustomStringConvertible {
    /// The id the replacement runs under.
    public let taskID: String
    public var description: String { "task \(taskID) was replaced by a new task under its id" }
}

import FoundationEssentials

/// Celery's built-in canvas tasks, registered in every app so that a Swift worker runs
/// what Celery clients send for `task.map`, `task.starmap`, `task.chunks`, a group replaced
/// into a chord (`celery.accumulate`) and chords on backends without a native join
/// (`celery.chord_unlock`), with Celery's arguments and result shapes.
enum CanvasBuiltins {
    /// Registers the built-in tasks in `app`.
    static func register(in app: App) {
        app.rawTask("celery.map") { [unowned app] call in
            let (task, items) = try taskAndItems(call, name: "celery.map")
            var results: [JSONValue] = []
            for item in items { results.append(try await runLocally(task, TaskCall(args: [item]), in: app)) }
            return .array(results)
        }
        app.rawTask("celery.starmap") { [unowned app] call in
            let (task, items) = try taskAndItems(call, name: "celery.starmap")
            var results: [JSONValue] = []
            for item in items { results.append(try await runLocally(task, TaskCall(args: item.arrayValue ?? [item]), in: app)) }
            return .array(results)
        }
        app.rawTask("celery.chunks") { [unowned app] call in
            let (task, items) = try taskAndItems(call, name: "celery.chunks")
            guard let size = (call.kwargs["n"] ?? call.args[safe: 2])?.intValue, size > 0 else {
                throw ArgumentMismatch(message: "celery.chunks needs a chunk size n of at least 1")
            }
            let members = stride(from: 0, to: items.count, by: size).map { start in
                CanvasDict.task("celery.starmap", args: [], kwargs: ["task": task, "it": .array(Array(items[start..<min(start + size, items.count)]))],
                                options: [:], immutable: true)
            }
            let context = TaskContext.current
            let result = try await app.apply(AnyCanvas(dict: CanvasDict.group(members), app: app, receivers: [], output: .of(JSONValue.self)),
                                             placement: CanvasPlanner.Placement(parentID: context?.id, rootID: context?.rootID))
            return result.asTuple
        }
        app.rawTask("celery.accumulate") { call in
            if let index = call.kwargs["index"], !index.isNull {
                guard let position = index.intValue, call.args.indices.contains(position) else {
                    throw ArgumentMismatch(message: "celery.accumulate: index \(index.jsonText) is out of range for \(call.args.count) arguments")
                }
                return call.args[position]
            }
            return .array(call.args)
        }
        app.rawTask("celery.chord_unlock", options: TaskOptions(maxRetries: nil, defaultRetryDelay: .seconds(1), retryJitter: false,
                                                              ignoreResult: true)) { [unowned app] call in
            try await ChordUnlock(call: call, app: app).run()
            return .null
        }
    }

    /// The `task` signature and the `it` items of a map, starmap or chunks call.
    private static func taskAndItems(_ call: TaskCall, name: String) throws -> (JSONValue, [JSONValue]) {
        guard let task = call.kwargs["task"] ?? call.args[safe: 0], task["task"]?.stringValue != nil else {
            throw ArgumentMismatch(message: "\(name) needs a task signature (task=...)")
        }
        guard let items = (call.kwargs["it"] ?? call.args[safe: 1])?.arrayValue else {
            throw ArgumentMismatch(message: "\(name) needs a list of items (it=[...])")
        }
        return (task, items)
    }

    /// Runs a task registered in this app in the current task, as Celery's map calls it.
    private static func runLocally(_ task: JSONValue, _ call: TaskCall, in app: App) async throws -> JSONValue {
        let name = task["task"]?.stringValue ?? "?"
        guard let registered = app.registry.task(named: name) else {
            throw RaisedException(ExceptionInfo.notRegistered(name))
        }
        return try await registered.run(call)
    }
}

/// An exception given as Celery records it, thrown as a Swift error (stored as it is).
package struct RaisedException: Error, CustomStringConvertible, Sendable {
    /// The exception record.
    package let info: ExceptionInfo

    package init(_ info: ExceptionInfo) {
        self.info = info
    }

    package var description: String { info.description }
}

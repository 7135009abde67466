import FoundationEssentials

/// `celery.chord_unlock`: Celery's polling chord join, sent by Celery clients whose result
/// backend has no native join. It waits (retrying itself every `interval` seconds) until
/// every header result is ready, then sends the callback with the results in order, or
/// stores the callback FAILURE with `ChordError` naming the failed task and sends its errbacks.
struct ChordUnlock {
    let call: TaskCall
    let app: App

    func run() async throws {
        guard let group = (call.kwargs["group_id"] ?? call.args[safe: 0])?.stringValue,
              let callback = call.kwargs["callback"] ?? call.args[safe: 1], callback["task"] != nil else {
            throw ArgumentMismatch(message: "celery.chord_unlock needs group_id and a callback signature")
        }
        let interval = (call.kwargs["interval"] ?? call.args[safe: 2])?.doubleValue ?? 1
        let ids = try headerIDs(group: group)
        let records = try await app.fetchRecords(ids)
        guard records.allSatisfy({ $0?.status.isReady == true }) else {
            throw Retry(countdown: .milliseconds(Int(interval * 1000)))
        }
        let context = TaskContext.current
        let placement = CanvasPlanner.Placement(parentID: context?.id, rootID: context?.rootID)
        if let index = records.firstIndex(where: { $0?.status != .success }), let failed = records[index] {
            let cause = failed.exception?.pythonRepr ?? PythonRepr.of(failed.result)
            try await failCallback(callback, reason: "Dependency \(ids[index]) raised \(cause)", placement: placement)
            return
        }
        var planner = CanvasPlanner(settings: app.canvasSettings)
        planner.apply(callback, prepending: .array(records.map { $0?.result ?? .null }), placement: placement)
        try await app.send(planner)
    }

    /// The header's task ids: from the `result` list of result tuples, else the saved group.
    private func headerIDs(group: String) throws -> [String] {
        if let tuples = (call.kwargs["result"] ?? call.args[safe: 4])?.arrayValue {
            return tuples.compactMap { ResultNode(tuple: $0)?.id }
        }
        throw ArgumentMismatch(message: "celery.chord_unlock for group \(group) has no header results (result=[...])")
    }

    private func failCallback(_ callback: JSONValue, reason: String, placement: CanvasPlanner.Placement) async throws {
        let frozen = CanvasFreezer.freeze(callback)
        let exception = ExceptionInfo(type: "ChordError", message: reason, module: "celery.exceptions")
        let record = ResultRecord(taskID: frozen.result.id, status: .failure, exception: exception, traceback: nil, dateDone: Date())
        let json = record.serialized()
        do {
            _ = try await app.connections.backend().pipeline([
                RedisCommand("SET", CeleryKeys.result(frozen.result.id), json, "EX", app.resultExpiry > 0 ? app.resultExpiry : 86_400),
                RedisCommand("PUBLISH", CeleryKeys.result(frozen.result.id), json),
            ])
        } catch {
            throw TaskQError.wrapping(error)
        }
        var planner = CanvasPlanner(settings: app.canvasSettings)
        for errback in CanvasDict.options(of: frozen.dict)["link_error"]?.arrayValue ?? [] {
            planner.apply(errback, prepending: .string(frozen.result.id), placement: placement)
        }
        try await app.send(planner)
    }
}

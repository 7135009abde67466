import FoundationEssentials
import TaskQ

/// Chords: each header task's result joins the chord on the result backend (a side
/// request); the part that completes it sends the callback, or fails it with `ChordError`.
extension SupervisorCore {
    /// After a header task of a chord finished (any final state): asks for its result to be
    /// added to the join; the worker that adds the last one sends the callback (see `ChordJoin`).
    mutating func joinChord(after job: Job, state: TaskState, result: JSONValue) {
        guard let callback = job.message.embed["chord"], callback.objectValue != nil,
              let group = job.message.groupID else { return }
        let entry: JSONValue = [1, .string(job.message.id), .string(state.rawValue), result]
        chordJoinsInFlight += 1
        emit(.joinChord(ChordJoinRequest(
            group: group, taskID: job.message.id, entry: entry,
            index: job.message.headers["group_index"]?.intValue ?? 0,
            expiry: configuration.resultExpiry > 0 ? configuration.resultExpiry : 86_400,
            callback: callback, link: followUpLink(after: job), label: job.label)))
    }

    /// Sends a completed chord's callback with the header results in order, or fails it with
    /// `ChordError` when a header task did not succeed (and sends its errbacks).
    mutating func completeChord(callback: JSONValue, entries: [JSONValue], link: FollowUpLink) {
        if let failed = entries.first(where: { $0[2]?.stringValue != TaskState.success.rawValue }) {
            let id = failed[1]?.stringValue ?? "?"
            let cause = failed[3].flatMap(ExceptionInfo.init(json:))?.pythonRepr ?? PythonRepr.of(failed[3] ?? .null)
            let exception = ExceptionInfo(type: "ChordError", message: "Dependency \(id) raised \(cause)", module: "celery.exceptions")
            if let callbackID = callback["options"]?["task_id"]?.stringValue {
                log(.error, "Chord callback \(callback["task"]?.stringValue ?? "?")[\(callbackID)] failed: \(exception.message)")
                emit(.store(ResultRecord(taskID: callbackID, status: .failure, exception: exception, traceback: nil,
                                         dateDone: now, extra: ["parent_id": .string(link.parentID)]), ackTag: nil))
                for errback in callback["options"]?["link_error"]?.arrayValue ?? [] {
                    send(errback, link: link, prepending: .string(callbackID), chain: nil, kind: "errback")
                }
            }
            return
        }
        send(callback, link: link, prepending: .array(entries.map { $0[3] ?? .null }), chain: nil, kind: "chord callback")
    }
}

import FoundationEssentials
import TaskQ

extension Worker {
    /// After a header task of a chord finished (any final state): adds its result to the
    /// join; the worker that adds the last one sends the callback (see `ChordJoin`).
    func joinChord(after job: Job, state: TaskState, result: JSONValue) {
        guard let callback = job.message.embed["chord"], callback.objectValue != nil,
              let group = job.message.groupID else { return }
        let taskID = job.message.id
        let index = job.message.headers["group_index"]?.intValue ?? 0
        let entry: JSONValue = [1, .string(job.message.id), .string(state.rawValue), result]
        let link = FollowUpLink(parentID: job.message.id, rootID: job.message.rootID ?? job.message.id,
                                queue: job.claimed.queue)
        let expiry = configuration.resultExpiry > 0 ? configuration.resultExpiry : 86_400
        chordJoinsInFlight += 1
        Task { [backendClient, post, logger, label = job.label] in
            var entries: [JSONValue]?
            // A few tries: a part that never reaches the join would leave the chord unfinished.
            for (attempt, pause) in [0.1, 0.5, 2.0, 0].enumerated() {
                do {
                    let reply = try await backendClient.evaluate(
                        ChordJoin.partReturn, keys: ChordJoin.keys(group),
                        arguments: [taskID, entry.jsonText, index, expiry, TaskID.make()])
                    let parsed = (reply.array ?? []).compactMap { $0.bytes.flatMap { try? JSONValue.parse($0) } }
                    entries = parsed.isEmpty ? nil : parsed
                    break
                } catch {
                    logger.error("Task \(label): cannot add its result to chord \(group) (attempt \(attempt + 1)): \(error)")
                    if pause > 0 { try? await Task.sleep(for: .seconds(pause)) }
                }
            }
            post.yield(.chordJoined(callback: callback, entries: entries, link: link))
        }
    }

    /// Sends a completed chord's callback with the header results in order, or fails it with
    /// `ChordError` when a header task did not succeed (and sends its errbacks).
    func completeChord(callback: JSONValue, entries: [JSONValue], link: FollowUpLink) {
        if let failed = entries.first(where: { $0[2]?.stringValue != TaskState.success.rawValue }) {
            let id = failed[1]?.stringValue ?? "?"
            let cause = failed[3].flatMap(ExceptionInfo.init(json:))?.pythonRepr ?? PythonRepr.of(failed[3] ?? .null)
            let exception = ExceptionInfo(type: "ChordError", message: "Dependency \(id) raised \(cause)", module: "celery.exceptions")
            if let callbackID = callback["options"]?["task_id"]?.stringValue {
                logger.error("Chord callback \(callback["task"]?.stringValue ?? "?")[\(callbackID)] failed: \(exception.message)")
                writes.store(ResultRecord(taskID: callbackID, status: .failure, exception: exception, traceback: nil,
                                          dateDone: Date(), extra: ["parent_id": .string(link.parentID)]), ackTag: nil)
                for errback in callback["options"]?["link_error"]?.arrayValue ?? [] {
                    send(errback, link: link, prepending: .string(callbackID), chain: nil, kind: "errback")
                }
            }
            return
        }
        send(callback, link: link, prepending: .array(entries.map { $0[3] ?? .null }), chain: nil, kind: "chord callback")
    }
}

import FoundationEssentials
import TaskQ

/// Workflows after a task ends: the next chain step, `link` callbacks and `link_error`
/// errbacks are published as new messages; the remaining chain steps of a failed task fail.
extension SupervisorCore {
    /// Sends the next step of a chain (`embed.chain`, stored in reverse) and any
    /// `link` callbacks, with the result prepended to their arguments.
    mutating func continueChain(after job: Job, result: JSONValue) {
        let link = followUpLink(after: job)
        for callback in job.message.embed["callbacks"]?.arrayValue ?? [] {
            send(callback, link: link, prepending: result, chain: nil, kind: "callback")
        }
        if var chain = job.message.embed["chain"]?.arrayValue, let next = chain.popLast() {
            send(next, link: link, prepending: result, chain: chain, kind: "chain step")
        }
    }

    /// Sends the `link_error` errbacks of a failed task with its id prepended to their arguments
    /// (the supervisor runs no task code, so errbacks are always sent as tasks).
    mutating func sendErrbacks(after job: Job) {
        let link = followUpLink(after: job)
        for errback in job.message.embed["errbacks"]?.arrayValue ?? [] {
            send(errback, link: link, prepending: .string(job.message.id), chain: nil, kind: "errback")
        }
    }

    /// Marks the remaining chain steps FAILURE with the same exception, as Celery's `_fail_chain` does.
    mutating func failChain(after job: Job, exception: ExceptionInfo, traceback: String?) {
        for signature in job.message.embed["chain"]?.arrayValue ?? [] {
            guard let id = signature["options"]?["task_id"]?.stringValue else { continue }
            emit(.store(ResultRecord(taskID: id, status: .failure, exception: exception, traceback: traceback,
                                     dateDone: now, extra: ["parent_id": .string(job.message.id)]), ackTag: nil))
        }
    }

    func followUpLink(after job: Job) -> FollowUpLink {
        FollowUpLink(parentID: job.message.id, rootID: job.message.rootID ?? job.message.id, queue: job.claimed.queue)
    }

    /// Starts a follow-up canvas (a task signature, or a chain, group or chord a Python or
    /// Swift client nested there), its arguments led by `value` unless it is immutable.
    mutating func send(_ signature: JSONValue, link: FollowUpLink, prepending value: JSONValue, chain: [JSONValue]?, kind: String) {
        guard CanvasDict.kind(of: signature) != nil else {
            log(.error, "Task \(link.parentID): cannot send the \(kind) \(signature.jsonText): it is not a task signature")
            return
        }
        let queue = link.queue
        var planner = CanvasPlanner(settings: CanvasPlanner.Settings(origin: configuration.nodeName, queue: { _, _, _ in queue }, now: now))
        planner.apply(signature, prepending: value, placement: CanvasPlanner.Placement(parentID: link.parentID, rootID: link.rootID, chain: chain))
        emit(.publishCanvas(chordSizes: planner.chordSizes, messages: planner.publishes))
    }
}

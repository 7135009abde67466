import Foundation
import TaskQ

extension Worker {
    /// Sends the next step of a chain (`embed.chain`, stored in reverse) and any
    /// `link` callbacks, with the result prepended to their arguments.
    func continueChain(after job: Job, result: JSONValue) {
        var followUps: [(signature: JSONValue, chain: [JSONValue]?)] =
            (job.message.embed["callbacks"]?.arrayValue ?? []).map { ($0, nil) }
        if var chain = job.message.embed["chain"]?.arrayValue, let next = chain.popLast() {
            followUps.append((next, chain))
        }
        for followUp in followUps {
            send(followUp.signature, after: job, prepending: result, chain: followUp.chain, kind: "callback")
        }
    }

    /// Sends the `link_error` errbacks of a failed task with its id prepended to their arguments
    /// (the supervisor runs no task code, so errbacks are always sent as tasks).
    func sendErrbacks(after job: Job) {
        for errback in job.message.embed["errbacks"]?.arrayValue ?? [] {
            send(errback, after: job, prepending: .string(job.message.id), chain: nil, kind: "errback")
        }
    }

    /// Marks the remaining chain steps FAILURE with the same exception, as Celery's `_fail_chain` does.
    func failChain(after job: Job, exception: ExceptionInfo, traceback: String?) {
        for signature in job.message.embed["chain"]?.arrayValue ?? [] {
            guard let id = signature["options"]?["task_id"]?.stringValue else { continue }
            writes.store(ResultRecord(taskID: id, status: .failure, exception: exception, traceback: traceback,
                                      dateDone: Date(), extra: ["parent_id": .string(job.message.id)]), ackTag: nil)
        }
    }

    /// Publishes a follow-up signature, its arguments led by `value` unless it is immutable.
    private func send(_ signature: JSONValue, after job: Job, prepending value: JSONValue, chain: [JSONValue]?, kind: String) {
        guard let message = message(for: signature, after: job, prepending: value, chain: chain) else {
            logger.error("Task \(job.label): cannot send the \(kind) \(signature.jsonText): it is not a task signature")
            return
        }
        writes.broker.enqueue([.command(RedisCommand("LPUSH", message.targetList(fallbackQueue: job.claimed.queue), message.envelope()))])
    }

    private func message(for signature: JSONValue, after job: Job, prepending value: JSONValue, chain: [JSONValue]?) -> TaskMessage? {
        guard let name = signature["task"]?.stringValue else { return nil }
        let options = signature["options"]?.objectValue ?? [:]
        var args = signature["args"]?.arrayValue ?? []
        if signature["immutable"]?.boolValue != true { args.insert(value, at: 0) }
        var embed = TaskMessage.emptyEmbed
        if let chain { embed["chain"] = .array(chain) }
        return TaskMessage.make(
            name: name, id: options["task_id"]?.stringValue ?? UUID().uuidString.lowercased(),
            args: args, kwargs: signature["kwargs"]?.objectValue ?? [:],
            queue: options["queue"]?.stringValue ?? job.claimed.queue,
            priority: options["priority"]?.intValue ?? 0,
            rootID: job.message.rootID ?? job.message.id, parentID: job.message.id,
            groupID: options["group_id"]?.stringValue, origin: configuration.nodeName, embed: embed)
    }
}

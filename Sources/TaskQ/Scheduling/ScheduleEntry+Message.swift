import FoundationEssentials

extension ScheduleEntry {
    /// The Celery message of one run: a new task id, the entry's queue and priority, an expiry
    /// `options.expires` seconds after `now`, and headers naming the entry and its slot
    /// (`slot` nil for a run-now). Returns the id, the list to push to and the envelope.
    package func message(slot: Date?, now: Date, origin: String) -> (id: String, list: String, envelope: [UInt8]) {
        var fields = EnvelopeWriter.Fields(name: task, id: TaskID.make(), deliveryTag: TaskID.make(), args: args, kwargs: kwargs,
                                           queue: options.queue ?? "celery", origin: origin)
        fields.priority = options.priority ?? 0
        fields.expires = options.expires.map { now.addingTimeInterval($0) }
        // `celery_beat_task` as Celery 5.7's beat marks its messages.
        var headers: [String: JSONValue] = [ScheduleKeys.entryHeader: .string(name), "celery_beat_task": true]
        if let slot { headers[ScheduleKeys.slotHeader] = .int(ScheduleStore.milliseconds(slot)) }
        fields.extraHeaders = headers
        return (fields.id, CeleryKeys.queueList(fields.queue, priority: fields.priority), EnvelopeWriter.plainEnvelope(fields))
    }
}

/// Redis key and channel names as Celery and kombu spell them, plus TaskQ's own `taskq:` keys.
package enum CeleryKeys {
    /// kombu's separator inside key names and set members (`"\x06\x16"`).
    package static let separator = "\u{06}\u{16}"
    /// kombu's priority steps on Redis; lower is served first.
    package static let prioritySteps = [0, 3, 6, 9]
    /// The hash of unacknowledged messages: delivery tag → `[envelope, exchange, routing_key]`.
    package static let unacked = "unacked"
    /// The zset of unacknowledged delivery tags scored by delivery time.
    package static let unackedIndex = "unacked_index"
    /// kombu's lock for restore sweeps.
    package static let unackedMutex = "unacked_mutex"
    /// TaskQ's dead-letter list.
    package static let deadLetters = "taskq:dead"
    /// TaskQ's sorted set of messages waiting for their ETA (score = due time).
    package static let scheduled = "taskq:scheduled"
    /// TaskQ's hash of scheduled envelopes: delivery tag → `[envelope, exchange, routing_key]`.
    package static let scheduledMessages = "taskq:scheduled:messages"
    /// TaskQ's hash of which worker claimed each delivery tag (for dead-worker recovery).
    package static let claims = "taskq:claims"
    /// Prefix of each TaskQ worker run's liveness key (`taskq:alive:<nodename> <run>`, the same
    /// holder its claims name in `taskq:claims`; it expires without heartbeats).
    package static let alivePrefix = "taskq:alive:"
    /// TaskQ's sorted set of revoked task ids, scored by when the revocation expires.
    package static let revoked = "taskq:revoked"
    /// TaskQ's hash of delivery counts by delivery tag (poison-message detection).
    package static let deliveries = "taskq:deliveries"

    /// A group's saved record (`GroupResult.save`); its chord keys add suffixes (`.s`, `.t`, `.j`, ...).
    package static func groupMeta(_ groupID: String) -> String { "celery-taskset-meta-" + groupID }

    /// The result key (and PUBLISH channel) of a task.
    package static func result(_ taskID: String) -> String { "celery-task-meta-" + taskID }

    /// The priority step a message priority falls into (clamped to 0...9, rounded down).
    package static func priorityStep(_ priority: Int) -> Int {
        let clamped = min(max(priority, 0), 9)
        return prioritySteps.last { $0 <= clamped } ?? 0
    }

    /// The list a message of `priority` in `queue` is pushed to.
    package static func queueList(_ queue: String, priority: Int) -> String {
        let step = priorityStep(priority)
        return step == 0 ? queue : queue + separator + String(step)
    }

    /// Every list of a queue, highest priority (step 0) first.
    package static func queueLists(_ queue: String) -> [String] {
        priorityStep(0) == 0 ? prioritySteps.map { queueList(queue, priority: $0) } : []
    }

    /// A channel for events, with kombu's fanout prefix: `/0.celeryev/task.succeeded`.
    package static func eventChannel(database: Int, routingKey: String) -> String {
        "/\(database).celeryev/\(routingKey)"
    }

    /// The broadcast channel of remote control (pidbox).
    package static func pidboxChannel(database: Int) -> String { "/\(database).celery.pidbox" }
}

import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Publishes Celery events (§5 of the wire notes) on `/{db}.celeryev/...`.
///
/// Task events are buffered and sent as one `task.multi` array at most every
/// `flushInterval` (or once `flushCount` are waiting); worker events go out at once.
/// The history records of one task within a batch are merged into one, so a task
/// that is received, started and finished between two flushes costs one record.
/// Owned by the event loop.
final class EventDispatcher {
    private let node: String
    private let database: Int
    private let writer: RedisWriter
    private var clock = 0
    private var buffer: [JSONValue] = []
    /// Pending history records by task id, in the order first seen.
    private var historyOrder: [String] = []
    private var history: [String: HistoryRecord] = [:]
    private var lastFlush = Date.distantPast
    /// The longest a task event waits before it is published.
    static let flushInterval = 0.1
    /// Events waiting that trigger a flush at once. Small batches cost no throughput and keep
    /// the worker's memory flat: at 1,000 the supervisor peaked 3 MB higher under load.
    static let flushCount = 100
    /// Tasks kept in the history (oldest dropped first).
    var maxTasks = 100_000
    /// Seconds a task stays in the history.
    var maxAge = 3 * 86_400
    private let utcOffset: Double

    init(node: String, database: Int, writer: RedisWriter) {
        self.node = node
        self.database = database
        self.writer = writer
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        utcOffset = -Double(parts.tm_gmtoff) / 3600
    }

    /// Queues a task event (`task-received`, `task-succeeded`, ...) for the next flush, and
    /// its history record (`state` and the string fields of `taskq:task:<id>`) for the monitor.
    func task(_ type: String, uuid: String, _ fields: [String: JSONValue] = [:], state: String?, history record: [TaskHistoryField: String]) {
        var body = fields
        body["uuid"] = .string(uuid)
        let event = stamp(type, body)
        buffer.append(event)
        let time = event["timestamp"]?.doubleValue ?? Date().timeIntervalSince1970
        if var pending = history[uuid] {
            pending.merge(record, state: state, at: time)
            history[uuid] = pending
        } else {
            history[uuid] = HistoryRecord(first: time, last: time, state: state, fields: record)
            historyOrder.append(uuid)
        }
    }

    /// Publishes a worker event (`worker-online`, `worker-heartbeat`, `worker-offline`) at once,
    /// after the task events waiting before it.
    func worker(_ type: String, _ fields: [String: JSONValue]) {
        flush(force: true)
        publish(stamp(type, fields), routingKey: String(type.map { $0 == "-" ? "." : $0 }))
    }

    /// Sends the buffered task events as one `task.multi` message and their history in one
    /// script call, when `flushInterval` has passed since the last flush, enough are waiting,
    /// or `force` (at shutdown).
    func flush(force: Bool = false) {
        guard !buffer.isEmpty else { return }
        let now = Date()
        guard force || buffer.count >= Self.flushCount || now.timeIntervalSince(lastFlush) >= Self.flushInterval else { return }
        lastFlush = now
        let events = buffer
        buffer.removeAll(keepingCapacity: true)
        publish(.array(events), routingKey: "task.multi")
        var arguments: [[UInt8]] = [Array(String(maxTasks).utf8), Array(String(maxAge).utf8),
                                    Array(FixedPoint.text(now.timeIntervalSince1970, places: 6).utf8)]
        for uuid in historyOrder {
            if let record = history[uuid] { arguments.append(contentsOf: record.arguments(uuid: uuid)) }
        }
        history.removeAll(keepingCapacity: true)
        historyOrder.removeAll(keepingCapacity: true)
        writer.enqueue([.script(TaskHistory.record, keys: [], arguments: arguments)])
    }

    /// Records this worker's status for the monitor (`taskq:workers`).
    func recordWorker(_ status: JSONValue) {
        writer.enqueue([.command(RedisCommand("HSET", HistoryKeys.workers, node, status.serialized()))])
    }

    private func stamp(_ type: String, _ fields: [String: JSONValue]) -> JSONValue {
        clock += 1
        var body = fields
        body["type"] = .string(type)
        body["hostname"] = .string(node)
        body["timestamp"] = .double(Date().timeIntervalSince1970)
        body["utcoffset"] = .double(utcOffset)
        body["pid"] = .int(Int(getpid()))
        body["clock"] = .int(clock)
        return .object(body)
    }

    private func publish(_ body: JSONValue, routingKey: String) {
        let envelope = ControlEnvelope.envelope(body: body, headers: ["hostname": .string(node)], exchange: "celeryev",
                                                routingKey: routingKey, deliveryMode: 1)
        writer.enqueue([.command(RedisCommand("PUBLISH", CeleryKeys.eventChannel(database: database, routingKey: routingKey), envelope))])
    }
}

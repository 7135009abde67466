import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Publishes Celery events (§5 of the wire notes) on `/{db}.celeryev/...`.
///
/// Task events are buffered and sent as one `task.multi` array at most every
/// `flushInterval` (or once `flushCount` are waiting); worker events go out at once.
/// The monitor's history is `HistoryWriter`'s. Owned by the event loop.
final class EventDispatcher {
    private let node: String
    private let database: Int
    private let writer: RedisWriter
    private var clock = 0
    private var buffer: [JSONValue] = []
    private var lastFlush = Date.distantPast
    /// The longest a task event waits before it is published.
    static let flushInterval = 0.1
    /// Events waiting that trigger a flush at once. Small batches cost no throughput and keep
    /// the worker's memory flat: at 1,000 the supervisor peaked 3 MB higher under load.
    static let flushCount = 100
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

    /// Queues a task event (`task-received`, `task-succeeded`, ...) for the next flush.
    func task(_ type: String, uuid: String, _ fields: [String: JSONValue] = [:]) {
        var body = fields
        body["uuid"] = .string(uuid)
        buffer.append(stamp(type, body))
    }

    /// Publishes a worker event (`worker-online`, `worker-heartbeat`, `worker-offline`) at once,
    /// after the task events waiting before it.
    func worker(_ type: String, _ fields: [String: JSONValue]) {
        flush(force: true)
        publish(stamp(type, fields), routingKey: String(type.map { $0 == "-" ? "." : $0 }))
    }

    /// Sends the buffered task events as one `task.multi` message, when `flushInterval` has
    /// passed since the last flush, enough are waiting, or `force` (at shutdown).
    func flush(force: Bool = false) {
        guard !buffer.isEmpty else { return }
        let now = Date()
        guard force || buffer.count >= Self.flushCount || now.timeIntervalSince(lastFlush) >= Self.flushInterval else { return }
        lastFlush = now
        let events = buffer
        buffer.removeAll(keepingCapacity: true)
        publish(.array(events), routingKey: "task.multi")
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

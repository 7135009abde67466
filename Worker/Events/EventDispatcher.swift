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
    /// The waiting task events, serialized and separated by commas: the inside of the
    /// `task.multi` array.
    private var buffer: [UInt8] = []
    private var buffered = 0
    private var lastFlush = Date.distantPast
    /// The longest a task event waits before it is published.
    static let flushInterval = 0.1
    /// Events waiting that trigger a flush at once. Small batches cost no throughput and keep
    /// the worker's memory flat: at 1,000 the supervisor peaked 3 MB higher under load.
    static let flushCount = 100
    private let utcOffset: Double
    private let pid = Int(getpid())

    init(node: String, database: Int, writer: RedisWriter) {
        self.node = node
        self.database = database
        self.writer = writer
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        utcOffset = -Double(parts.tm_gmtoff) / 3600
    }

    /// Queues a task event (`task-received`, `task-succeeded`, ...) for the next flush,
    /// serialized at once.
    func task(_ type: String, uuid: String, _ fields: [String: JSONValue] = [:]) {
        if buffered > 0 { buffer.append(UInt8(ascii: ",")) }
        buffered += 1
        appendEvent(type, fields, uuid: uuid, to: &buffer)
    }

    /// Appends one event as JSON: its `uuid` (task events), its fields, then the stamp every Celery event carries
    /// (`type`, `hostname`, `timestamp`, `utcoffset`, `pid`, `clock`), written directly
    /// rather than added to a dictionary first.
    private func appendEvent(_ type: String, _ fields: [String: JSONValue], uuid: String? = nil, to output: inout [UInt8]) {
        clock += 1
        output.append(UInt8(ascii: "{"))
        if let uuid {
            member("uuid", .string(uuid), to: &output)
            output.append(UInt8(ascii: ","))
        }
        for (key, value) in fields where uuid == nil || key != "uuid" {
            member(key, value, to: &output)
            output.append(UInt8(ascii: ","))
        }
        let stamp: [(String, JSONValue)] = [("type", .string(type)), ("hostname", .string(node)),
                                            ("timestamp", .double(Date().timeIntervalSince1970)),
                                            ("utcoffset", .double(utcOffset)), ("pid", .int(pid)), ("clock", .int(clock))]
        for (index, (key, value)) in stamp.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            member(key, value, to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    private func member(_ key: String, _ value: JSONValue, to output: inout [UInt8]) {
        JSONValue.writeString(key, to: &output)
        output.append(UInt8(ascii: ":"))
        value.write(to: &output)
    }

    /// Publishes a worker event (`worker-online`, `worker-heartbeat`, `worker-offline`) at once,
    /// after the task events waiting before it.
    func worker(_ type: String, _ fields: [String: JSONValue]) {
        flush(force: true)
        var body: [UInt8] = []
        appendEvent(type, fields, to: &body)
        publish(bodyJSON: body, routingKey: String(type.map { $0 == "-" ? "." : $0 }))
    }

    /// Sends the buffered task events as one `task.multi` message, when `flushInterval` has
    /// passed since the last flush, enough are waiting, or `force` (at shutdown).
    func flush(force: Bool = false) {
        guard buffered > 0 else { return }
        let now = Date()
        guard force || buffered >= Self.flushCount || now.timeIntervalSince(lastFlush) >= Self.flushInterval else { return }
        lastFlush = now
        var body: [UInt8] = [UInt8(ascii: "[")]
        body.reserveCapacity(buffer.count + 2)
        body.append(contentsOf: buffer)
        body.append(UInt8(ascii: "]"))
        buffer.removeAll(keepingCapacity: true)
        buffered = 0
        publish(bodyJSON: body, routingKey: "task.multi")
    }

    /// Records this worker's status for the monitor (`taskq:workers`).
    func recordWorker(_ status: JSONValue) {
        writer.enqueue([.command(RedisCommand("HSET", HistoryKeys.workers, node, status.serialized()))])
    }

    private func publish(bodyJSON: [UInt8], routingKey: String) {
        let envelope = ControlEnvelope.envelope(bodyJSON: bodyJSON, headers: ["hostname": .string(node)], exchange: "celeryev",
                                                routingKey: routingKey, deliveryMode: 1)
        writer.enqueue([.command(RedisCommand("PUBLISH", CeleryKeys.eventChannel(database: database, routingKey: routingKey), envelope))])
    }
}

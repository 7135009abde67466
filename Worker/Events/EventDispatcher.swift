import Foundation
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Publishes Celery events (§5 of the wire notes) on `/{db}.celeryev/...`.
///
/// Task events are buffered and sent as one `task.multi` array per turn of the
/// worker's loop; worker events go out at once. Owned by the event loop.
final class EventDispatcher {
    private let node: String
    private let database: Int
    private let writer: RedisWriter
    private var clock = 0
    private var buffer: [JSONValue] = []
    private var history: [JSONValue] = []
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
    /// its history record (`state` and string `fields`) for the monitor.
    func task(_ type: String, uuid: String, _ fields: [String: JSONValue] = [:], state: String?, history record: [String: String]) {
        var body = fields
        body["uuid"] = .string(uuid)
        let event = stamp(type, body)
        buffer.append(event)
        var entry: [String: JSONValue] = [
            "uuid": .string(uuid),
            "ts": event["timestamp"] ?? .double(Date().timeIntervalSince1970),
            "fields": .object(record.mapValues(JSONValue.string)),
        ]
        if let state { entry["state"] = .string(state) }
        history.append(.object(entry))
    }

    /// Publishes a worker event (`worker-online`, `worker-heartbeat`, `worker-offline`) at once.
    func worker(_ type: String, _ fields: [String: JSONValue]) {
        publish(stamp(type, fields), routingKey: type.replacingOccurrences(of: "-", with: "."))
    }

    /// Sends the buffered task events as one `task.multi` message.
    func flush() {
        guard !buffer.isEmpty else { return }
        let events = buffer
        buffer.removeAll(keepingCapacity: true)
        publish(.array(events), routingKey: "task.multi")
        let records = JSONValue.array(history).serialized()
        history.removeAll(keepingCapacity: true)
        let now = String(format: "%.6f", Date().timeIntervalSince1970)
        writer.enqueue([.script(TaskHistory.record, keys: [],
                                arguments: [records, Array(String(maxTasks).utf8), Array(String(maxAge).utf8), Array(now.utf8)])])
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

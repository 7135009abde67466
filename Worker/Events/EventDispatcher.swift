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

import Foundation
import Logging
import Synchronization
import TaskQ

/// Listens to Celery events on `/{db}.celeryev/*` and fans them out to browsers
/// (Server-Sent Events) and to the metrics.
final class LiveEvents: Sendable {
    private struct Listeners {
        var clients: [Int: AsyncStream<String>.Continuation] = [:]
        var nextClient = 0
        /// Task names by id, from `task-received`; the oldest half goes past 20,000.
        var names: [String: String] = [:]
        var nameOrder: [String] = []
    }

    private let subscriber: RedisSubscriber
    let metrics = MonitorMetrics()
    private let listeners = Mutex(Listeners())

    init(url: RedisURL, logger: Logger) {
        subscriber = RedisSubscriber(url: url, name: "taskq.monitor.events", logger: logger)
        _ = subscriber.subscribe(CeleryKeys.eventChannel(database: url.database, routingKey: "*"), pattern: true) { [weak self] event in
            guard let self, case .message(_, let payload) = event else { return }
            self.receive(payload)
        }
    }

    /// A new SSE client's stream of `data:` payloads; `remove` it when the client goes.
    func connect() -> (id: Int, stream: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        let id = listeners.withLock { listeners in
            listeners.nextClient += 1
            listeners.clients[listeners.nextClient] = continuation
            return listeners.nextClient
        }
        return (id, stream)
    }

    /// Forgets a client.
    func remove(_ id: Int) {
        let continuation = listeners.withLock { $0.clients.removeValue(forKey: id) }
        continuation?.finish()
    }

    /// Sends a client an empty line, which its stream writes as a keep-alive comment.
    func ping(_ id: Int) {
        let continuation = listeners.withLock { $0.clients[id] }
        continuation?.yield("")
    }

    /// How many browsers are listening.
    var clientCount: Int { listeners.withLock { $0.clients.count } }

    private func receive(_ payload: [UInt8]) {
        guard let opened = try? ControlEnvelope.open(payload) else { return }
        let events = opened.body.arrayValue ?? [opened.body]
        var lines: [String] = []
        for event in events {
            guard let type = event["type"]?.stringValue else { continue }
            let summary = summarize(event, type: type)
            metrics.record(type: type, event: event, taskName: summary["name"]?.stringValue)
            lines.append(JSONValue.object(summary).jsonText)
        }
        let targets = listeners.withLock { Array($0.clients.values) }
        for line in lines {
            for client in targets { client.yield(line) }
        }
    }

    /// The fields a page needs from one event, with the task name filled in from `task-received`.
    private func summarize(_ event: JSONValue, type: String) -> [String: JSONValue] {
        var out: [String: JSONValue] = ["type": .string(type), "hostname": event["hostname"] ?? .null,
                                        "timestamp": event["timestamp"] ?? .null]
        if type.hasPrefix("task-"), let uuid = event["uuid"]?.stringValue {
            out["uuid"] = .string(uuid)
            if let name = event["name"]?.stringValue { remember(uuid, name) }
            out["name"] = listeners.withLock { $0.names[uuid] }.map(JSONValue.string) ?? .null
            out["state"] = .string(Self.state(for: type))
            for key in ["args", "kwargs", "result", "exception", "runtime", "retries"] where event[key] != nil {
                out[key] = event[key]
            }
        } else {
            for key in ["active", "processed", "freq", "loadavg"] where event[key] != nil { out[key] = event[key] }
        }
        return out
    }

    private func remember(_ uuid: String, _ name: String) {
        listeners.withLock { listeners in
            if listeners.names[uuid] == nil { listeners.nameOrder.append(uuid) }
            listeners.names[uuid] = name
            if listeners.nameOrder.count > 20_000 {
                for old in listeners.nameOrder.prefix(10_000) { listeners.names[old] = nil }
                listeners.nameOrder.removeFirst(10_000)
            }
        }
    }

    /// Celery's event → state mapping.
    static func state(for type: String) -> String {
        switch type {
        case "task-sent": return "PENDING"
        case "task-received": return "RECEIVED"
        case "task-started": return "STARTED"
        case "task-succeeded": return "SUCCESS"
        case "task-failed": return "FAILURE"
        case "task-retried": return "RETRY"
        case "task-revoked": return "REVOKED"
        case "task-rejected": return "REJECTED"
        default: return "PENDING"
        }
    }

    func stop() { subscriber.stop() }
}

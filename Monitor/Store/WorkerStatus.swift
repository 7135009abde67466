import Foundation
import TaskQ

/// A worker's latest status as it recorded it in `taskq:workers`.
struct WorkerStatus: Sendable {
    let json: JSONValue

    var name: String { json["hostname"]?.stringValue ?? "" }
    var freq: Double { json["freq"]?.doubleValue ?? 2 }
    var lastSeen: Double { json["timestamp"]?.doubleValue ?? 0 }

    /// Online while it said so and its last heartbeat is within 2 × freq (Flower's rule).
    func isOnline(now: Double = Date().timeIntervalSince1970) -> Bool {
        (json["online"]?.boolValue ?? true) && now < lastSeen + freq * 2
    }

    /// Flower's `/api/workers` entry: `stats`, `active_queues`, `registered`, `conf`, `timestamp`.
    var flowerJSON: JSONValue {
        let queues = json["queues"]?.arrayValue ?? []
        return [
            "stats": [
                "total": json["stats"]?["total"] ?? [:],
                "pid": json["pid"] ?? .null,
                "uptime": .int(Int(lastSeen - (json["started"]?.doubleValue ?? lastSeen))),
                "pool": ["max-concurrency": json["concurrency"] ?? .null, "processes": json["children"] ?? [],
                         "implementation": "taskq:prefork"],
                "broker": ["transport": "redis"],
                "prefetch_count": .null,
            ],
            "active_queues": .array(queues.map { ["name": $0, "exchange": ["name": $0, "type": "direct"], "routing_key": $0] }),
            "registered": .array((json["registered"]?.arrayValue ?? []).compactMap { $0["name"] }),
            "active": json["active_tasks"] ?? [],
            "conf": [:],
            "timestamp": .double(lastSeen),
        ]
    }
}

import Foundation
import TaskQ

/// A worker's latest status as it recorded it in `taskq:workers`.
struct WorkerStatus: Sendable {
    /// What the worker recorded.
    let record: WorkerStatusRecord

    init(_ record: WorkerStatusRecord) {
        self.record = record
    }

    var name: String { record.hostname }
    var freq: Double { record.freq }
    var lastSeen: Double { record.timestamp }

    /// Online while it said so and its last heartbeat is within 2 × freq (Flower's rule).
    func isOnline(now: Double = Date().timeIntervalSince1970) -> Bool {
        record.online && now < lastSeen + freq * 2
    }

    /// Flower's `/api/workers` entry: `stats`, `active_queues`, `registered`, `conf`, `timestamp`.
    var flowerJSON: JSONValue {
        [
            "stats": [
                "total": .object(record.totals.mapValues(JSONValue.int)),
                "pid": .int(record.pid),
                "uptime": .int(Int(lastSeen - record.started)),
                "pool": ["max-concurrency": .int(record.concurrency), "processes": .array(record.children.map(JSONValue.int)),
                         "implementation": .string("taskq:\(record.pool)")],
                "broker": ["transport": "redis"],
                "prefetch_count": .null,
            ],
            "active_queues": .array(record.queues.map { queue in
                let name = JSONValue.string(queue)
                return ["name": name, "exchange": ["name": name, "type": "direct"], "routing_key": name]
            }),
            "registered": .array(record.registered.map { .string($0.name) }),
            "active": .array(record.activeTasks),
            "conf": [:],
            "timestamp": .double(lastSeen),
        ]
    }

    /// Flower's `/workers?json=1` entry: the recorded status without its lists and stats, with
    /// `status`, `heartbeats` and `clock`.
    func flowerEntry(now: Double) -> JSONValue {
        var entry = record.json.objectValue ?? [:]
        let omitted: [WorkerStatusRecord.Key] = [.registered, .activeTasks, .children, .stats, .queues]
        for key in omitted { entry[key.rawValue] = nil }
        entry["status"] = .bool(isOnline(now: now))
        entry["heartbeats"] = .array([.double(lastSeen)])
        entry["clock"] = .int(0)
        return .object(entry)
    }
}

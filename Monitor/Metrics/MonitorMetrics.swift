import Foundation
import Synchronization
import TaskQ

/// Counters and gauges from the event stream, in Flower's metric names, rendered as Prometheus text.
final class MonitorMetrics: Sendable {
    private struct TaskKey: Hashable { let worker: String; let task: String }
    private struct EventKey: Hashable { let worker: String; let type: String; let task: String }

    /// Runtime histogram bucket bounds, in seconds.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    private struct Counts {
        var events: [EventKey: Int] = [:]
        var runtimeCounts: [TaskKey: [Int]] = [:]
        var runtimeSums: [TaskKey: Double] = [:]
        var online: [String: Int] = [:]
        var executing: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())

    /// Counts one event.
    func record(type: String, event: JSONValue, taskName: String?) {
        let worker = event["hostname"]?.stringValue ?? ""
        counts.withLock { counts in
            counts.events[EventKey(worker: worker, type: type, task: taskName ?? ""), default: 0] += 1
            switch type {
            case "worker-online", "worker-heartbeat":
                counts.online[worker] = 1
                if let active = event["active"]?.intValue { counts.executing[worker] = active }
            case "worker-offline":
                counts.online[worker] = 0
                counts.executing[worker] = 0
            case "task-succeeded":
                if let runtime = event["runtime"]?.doubleValue {
                    let key = TaskKey(worker: worker, task: taskName ?? "")
                    let slot = Self.buckets.firstIndex { runtime <= $0 } ?? Self.buckets.count
                    counts.runtimeCounts[key, default: Array(repeating: 0, count: Self.buckets.count + 1)][slot] += 1
                    counts.runtimeSums[key, default: 0] += runtime
                }
            default:
                break
            }
        }
    }

    /// The Prometheus exposition text, with queue-length gauges appended.
    func render(queues: [(name: String, total: Int)], bookkeeping: (scheduled: Int, unacked: Int, dead: Int)) -> String {
        func label(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        var out = ""
        counts.withLock { counts in
            out += "# HELP flower_events_total Number of events\n# TYPE flower_events_total counter\n"
            for (key, count) in counts.events.sorted(by: { "\($0.key)" < "\($1.key)" }) {
                out += "flower_events_total{task=\"\(label(key.task))\",type=\"\(label(key.type))\",worker=\"\(label(key.worker))\"} \(count).0\n"
            }
            out += "# HELP flower_task_runtime_seconds Task runtime\n# TYPE flower_task_runtime_seconds histogram\n"
            for (key, buckets) in counts.runtimeCounts.sorted(by: { "\($0.key)" < "\($1.key)" }) {
                let labels = "task=\"\(label(key.task))\",worker=\"\(label(key.worker))\""
                var cumulative = 0
                for (index, bound) in Self.buckets.enumerated() {
                    cumulative += buckets[index]
                    out += "flower_task_runtime_seconds_bucket{le=\"\(bound)\",\(labels)} \(cumulative).0\n"
                }
                cumulative += buckets[Self.buckets.count]
                out += "flower_task_runtime_seconds_bucket{le=\"+Inf\",\(labels)} \(cumulative).0\n"
                out += "flower_task_runtime_seconds_count{\(labels)} \(cumulative).0\n"
                out += "flower_task_runtime_seconds_sum{\(labels)} \(counts.runtimeSums[key] ?? 0)\n"
            }
            out += "# HELP flower_worker_online Worker online status\n# TYPE flower_worker_online gauge\n"
            for (worker, value) in counts.online.sorted(by: { $0.key < $1.key }) {
                out += "flower_worker_online{worker=\"\(label(worker))\"} \(value).0\n"
            }
            out += "# HELP flower_worker_number_of_currently_executing_tasks Number of tasks currently executing at a worker\n"
            out += "# TYPE flower_worker_number_of_currently_executing_tasks gauge\n"
            for (worker, value) in counts.executing.sorted(by: { $0.key < $1.key }) {
                out += "flower_worker_number_of_currently_executing_tasks{worker=\"\(label(worker))\"} \(value).0\n"
            }
        }
        out += "# HELP taskq_queue_length Messages waiting in a queue (all priority lists)\n# TYPE taskq_queue_length gauge\n"
        for queue in queues { out += "taskq_queue_length{queue=\"\(label(queue.name))\"} \(queue.total).0\n" }
        out += "# HELP taskq_scheduled_messages Messages waiting for their ETA\n# TYPE taskq_scheduled_messages gauge\ntaskq_scheduled_messages \(bookkeeping.scheduled).0\n"
        out += "# HELP taskq_unacked_messages Messages claimed and not yet acknowledged\n# TYPE taskq_unacked_messages gauge\ntaskq_unacked_messages \(bookkeeping.unacked).0\n"
        out += "# HELP taskq_dead_letters Messages in the dead-letter list\n# TYPE taskq_dead_letters gauge\ntaskq_dead_letters \(bookkeeping.dead).0\n"
        return out
    }
}

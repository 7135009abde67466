import Foundation
import TaskQ

/// The Workers page: one row per worker, updated live by heartbeats.
enum WorkersPage {
    static func render(_ workers: [WorkerStatus]) -> String {
        let now = Date().timeIntervalSince1970
        let rows = workers.map { worker -> String in
            let status = worker.record
            let name = HTML.escape(worker.name)
            let online = worker.isOnline(now: now)
            let loads = status.loadavg.map { String(format: "%.2f", $0) }.joined(separator: ", ")
            let queues = status.queues.map(HTML.escape).joined(separator: ", ")
            return """
            <tr data-worker="\(name)" data-freq="\(worker.freq)" data-seen="\(worker.lastSeen)">
            <td><a href="/worker/\(HTML.urlComponent(worker.name))">\(name)</a></td>
            <td class="status">\(online ? "<span class=\"state state-online\">online</span>" : "<span class=\"state state-offline\">offline</span>")</td>
            <td>\(status.concurrency)</td><td class="active">\(status.active)</td><td class="processed">\(status.processed)</td>
            <td class="succeeded">\(status.succeeded)</td><td class="failed">\(status.failed)</td><td class="retried">\(status.retried)</td>
            <td class="loadavg">\(loads)</td><td>\(queues)</td><td class="heartbeat">\(HTML.time(worker.lastSeen))</td>
            </tr>
            """
        }.joined(separator: "\n")
        return """
        <h1>Workers</h1>
        <table id="workers"><thead><tr><th>Worker</th><th>Status</th><th>Concurrency</th><th>Active</th><th>Processed</th>
        <th>Succeeded</th><th>Failed</th><th>Retried</th><th>Load average</th><th>Queues</th><th>Last heartbeat (UTC)</th></tr></thead>
        <tbody>\(rows.isEmpty ? "<tr class=\"empty\"><td colspan=\"11\">No worker has reported yet. Start one with <code>taskq worker -A tasks</code>.</td></tr>" : rows)</tbody></table>
        """
    }
}

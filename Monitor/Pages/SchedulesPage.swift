import Foundation
import TaskQ

/// The Schedules page: each periodic entry, its schedule in words, next run in UTC and in its
/// zone, last run and that task's state, and buttons to pause, resume, run now and remove.
enum SchedulesPage {
    static func render(_ statuses: [ScheduleEntryStatus], lastStates: [String: String], leader: String?) -> String {
        let rows = statuses.map { status -> String in
            let entry = status.entry
            let name = HTML.escape(entry.name)
            let path = "/api/schedules/" + (entry.name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? entry.name)
            let next = status.nextRun.map { "\(HTML.escape(CeleryTime.format($0)))" + (entry.timing.localText($0).map { "<br><small>\(HTML.escape($0))</small>" } ?? "") } ?? "-"
            let last: String
            if let id = status.lastTaskID {
                let state = lastStates[id] ?? "PENDING"
                let when = (status.lastRun ?? status.lastSent).map(CeleryTime.format) ?? ""
                last = "\(HTML.escape(when))<br><a href=\"/task/\(HTML.escape(id))\"><span class=\"state \(state)\">\(state)</span></a>"
            } else {
                last = "never"
            }
            let toggle = status.paused
                ? "<button data-action=\"\(path)/resume\">Resume</button>"
                : "<button data-action=\"\(path)/pause\">Pause</button>"
            return "<tr class=\"schedule\" data-name=\"\(name)\"><td><code>\(name)</code><br><small>\(entry.source == .code ? "in code" : "added at run time")</small></td>"
                + "<td><code>\(HTML.escape(entry.task))</code></td><td>\(HTML.escape(entry.timing.description))</td>"
                + "<td class=\"next\">\(next)</td><td class=\"last\">\(last)</td><td>\(status.totalRuns)\(status.missed > 0 ? " <small>(missed \(status.missed))</small>" : "")</td>"
                + "<td class=\"status\">\(status.paused ? "paused" : "active")</td>"
                + "<td>\(toggle) <button data-action=\"\(path)/run-now\">Run now</button> "
                + "<button class=\"danger\" data-action=\"\(path)/remove\" data-confirm=\"Remove \(name)?\">Remove</button></td></tr>"
        }.joined()
        return """
        <h1>Schedules</h1>
        <p>Leading beat: \(leader.map { "<code>\(HTML.escape($0))</code>" } ?? "none: no <code>taskq beat</code> (or worker with -B) is running")</p>
        <section class="actions"><span class="result" id="action-result"></span></section>
        <table><thead><tr><th>Entry</th><th>Task</th><th>Schedule</th><th>Next run (UTC / its zone)</th><th>Last run</th><th>Runs</th><th>Status</th><th></th></tr></thead>
        <tbody>\(rows.isEmpty ? "<tr class=\"empty\"><td colspan=\"8\">no periodic entries</td></tr>" : rows)</tbody></table>
        """
    }
}

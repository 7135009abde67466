import TaskQ

/// The Tasks page: newest first, with filters, search and paging; new tasks appear live.
enum TasksPage {
    static let states = ["", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED"]

    static func render(tasks: [TaskRecord], total: Int, scanLimit: Int? = nil, query: TaskQuery, names: [String], workers: [String]) -> String {
        let rows = tasks.map(row).joined(separator: "\n")
        func select(_ field: String, _ values: [String], _ current: String?) -> String {
            "<select name=\"\(field)\">" + values.map { value in
                "<option value=\"\(HTML.escape(value))\"\(value == (current ?? "") ? " selected" : "")>\(value.isEmpty ? "any" : HTML.escape(value))</option>"
            }.joined() + "</select>"
        }
        var link = "/tasks?limit=\(query.limit)"
        if let state = query.state { link += "&state=\(HTML.urlComponent(state))" }
        if let name = query.taskName { link += "&taskname=\(HTML.urlComponent(name))" }
        if let worker = query.workerName { link += "&workername=\(HTML.urlComponent(worker))" }
        if let search = query.search, !search.isEmpty { link += "&search=\(HTML.urlComponent(search))" }
        let previous = query.offset > 0 ? "<a href=\"\(HTML.escape(link))&offset=\(max(0, query.offset - query.limit))\">← newer</a>" : ""
        let next = query.offset + query.limit < total ? "<a href=\"\(HTML.escape(link))&offset=\(query.offset + query.limit)\">older →</a>" : ""
        let live = query.offset == 0 && query.readsIndexes && query.state == nil && query.taskName == nil && query.workerName == nil
        return """
        <h1>Tasks</h1>
        <form class="filters" method="get" action="/tasks">
        <label>State \(select("state", states, query.state))</label>
        <label>Task \(select("taskname", [""] + names, query.taskName))</label>
        <label>Worker \(select("workername", [""] + workers, query.workerName))</label>
        <label>Search <input name="search" value="\(HTML.escape(query.search ?? ""))" placeholder="args, kwargs, result"></label>
        <button type="submit">Filter</button></form>
        <p class="paging">\(total) task(s)\(scanLimit.map { " among the newest \($0)" } ?? "") · showing \(tasks.isEmpty ? 0 : query.offset + 1)–\(query.offset + tasks.count) \(previous) \(next)</p>
        <table id="tasks" data-live="\(live ? "1" : "0")"><thead><tr><th>Id</th><th>Name</th><th>State</th><th>Args</th><th>Kwargs</th>
        <th>Result</th><th>Received (UTC)</th><th>Runtime</th><th>Worker</th></tr></thead>
        <tbody>\(rows.isEmpty ? "<tr class=\"empty\"><td colspan=\"9\">No tasks recorded yet.</td></tr>" : rows)</tbody></table>
        """
    }

    static func row(_ task: TaskRecord) -> String {
        let id = HTML.escape(task.id)
        let outcome = task.state == "SUCCESS" ? (task[.result] ?? "") : (task[.exception] ?? "")
        let runtime = task.time(.runtime).map { String(format: "%.4fs", $0) } ?? ""
        return """
        <tr data-uuid="\(id)"><td class="uuid"><a href="/task/\(HTML.urlComponent(task.id))">\(id)</a></td>
        <td class="name">\(HTML.escape(task.name))</td><td class="state-cell">\(HTML.badge(task.state))</td>
        <td class="args">\(HTML.escape(task[.args] ?? ""))</td><td class="kwargs">\(HTML.escape(task[.kwargs] ?? ""))</td>
        <td class="result">\(HTML.escape(outcome))</td><td class="time">\(HTML.time(task.received))</td><td class="runtime">\(runtime)</td>
        <td>\(HTML.escape(task.worker))</td></tr>
        """
    }
}

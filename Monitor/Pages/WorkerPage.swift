import TaskQ

/// The Worker detail page: registered tasks, active tasks, pool children, and actions.
enum WorkerPage {
    static func render(_ worker: WorkerStatus) -> String {
        let status = worker.record
        let name = HTML.escape(worker.name)
        let registered = status.registered.map { "<li><code>\(HTML.escape($0.listing))</code></li>" }.joined()
        let active = status.activeTasks.map { task -> String in
            let id = task["id"]?.stringValue ?? ""
            return "<tr><td><a href=\"/task/\(HTML.urlComponent(id))\">\(HTML.escape(id))</a></td><td>\(HTML.escape(task["name"]?.stringValue ?? ""))</td>"
                + "<td>\(HTML.escape(task["args"]?.stringValue ?? ""))</td><td>\(HTML.time(task["time_start"]?.doubleValue))</td></tr>"
        }.joined()
        let children = status.children.map { "<li>pid \($0)</li>" }.joined()
        let options = status.registered.map { "<option>\(HTML.escape($0.name))</option>" }.joined()
        return """
        <h1>Worker <code>\(name)</code> \(worker.isOnline() ? "<span class=\"state state-online\">online</span>" : "<span class=\"state state-offline\">offline</span>")</h1>
        <section class="actions" data-worker="\(name)">
        \(poolActions(worker, prefork: status.pool == "prefork"))
        <button class="danger" data-action="/api/worker/shutdown/\(HTML.urlComponent(worker.name))" data-confirm="Shut down \(name)?">Shut down</button>
        <form class="inline" data-action-form="/api/task/rate-limit/" data-worker="\(name)">
        <select name="task">\(options)</select><input name="ratelimit" placeholder="e.g. 10/s (0 removes)" required>
        <button type="submit">Set rate limit</button></form>
        <span class="result" id="action-result"></span>
        </section>
        <h2>Pool</h2><p>Pool \(status.pool), concurrency \(status.concurrency)\(status.tasksPerProcess > 1 ? " (\(status.children.count) processes × \(status.tasksPerProcess) tasks)" : ""), pid \(status.pid), processed \(status.processed)</p>
        <ul>\(children)</ul>
        <h2>Active tasks</h2>
        <table><thead><tr><th>Id</th><th>Name</th><th>Args</th><th>Started (UTC)</th></tr></thead><tbody>\(active.isEmpty ? "<tr class=\"empty\"><td colspan=\"4\">idle</td></tr>" : active)</tbody></table>
        <h2>Registered tasks</h2><ul class="registered">\(registered)</ul>
        <h2>Queues</h2><p>\(status.queues.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: " "))</p>
        """
    }

    /// Grow, shrink and autoscale for a prefork worker; the other pools set their concurrency with `-c`.
    static func poolActions(_ worker: WorkerStatus, prefork: Bool) -> String {
        let path = HTML.urlComponent(worker.name)
        guard prefork else { return "<span class=\"note\">pool size is set with -c (\(HTML.escape(worker.record.pool)) pool)</span>" }
        return """
        <button data-action="/api/worker/pool/grow/\(path)">Grow pool</button>
        <button data-action="/api/worker/pool/shrink/\(path)">Shrink pool</button>
        <form class="inline" data-action-form="/api/worker/pool/autoscale/" data-worker="\(HTML.escape(worker.name))">
        <input name="min" placeholder="min" size="3" required><input name="max" placeholder="max" size="3" required>
        <button type="submit">Autoscale</button></form>
        """
    }
}

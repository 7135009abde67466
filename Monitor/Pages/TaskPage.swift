import TaskQ

/// The Task detail page: everything recorded about one task, its traceback, links and actions.
enum TaskPage {
    /// The whole result from the result record when the task succeeded; the history keeps
    /// only a repr of at most 1,024 characters.
    static func fullResult(_ task: TaskRecord, _ result: ResultRecord?) -> String {
        if let result, result.status == .success { return HTML.escape(result.result.jsonText) }
        return HTML.escape(task[.result] ?? "")
    }

    static func render(_ task: TaskRecord, result: ResultRecord?) -> String {
        func field(_ label: String, _ value: String) -> String { "<tr><th>\(label)</th><td>\(value)</td></tr>" }
        func text(_ field: TaskHistoryField) -> String { HTML.escape(task[field] ?? "") }
        func link(_ field: TaskHistoryField) -> String {
            guard let id = task[field], !id.isEmpty else { return "—" }
            return "<a href=\"/task/\(HTML.urlComponent(id))\">\(HTML.escape(id))</a>"
        }
        let times: [TaskHistoryField] = [.received, .started, .succeeded, .failed, .retried, .revoked]
        let timeRows = times.compactMap { key -> String? in
            guard let time = task.time(key) else { return nil }
            return field(key.rawValue.capitalized + " (UTC)", HTML.time(time))
        }.joined()
        let traceback = task[.traceback].flatMap { $0.isEmpty ? nil : $0 } ?? result?.traceback ?? ""
        let id = HTML.urlComponent(task.id)
        var actions = "<button data-action=\"/api/task/revoke/\(id)\">Revoke</button>"
            + "<button class=\"danger\" data-action=\"/api/task/revoke/\(id)?terminate=true\" data-confirm=\"Terminate this task?\">Terminate</button>"
        if ["FAILURE", "REVOKED"].contains(task.state) {
            actions += "<button data-action=\"/api/task/retry/\(id)\">Retry</button>"
        }
        return """
        <h1>Task <code>\(HTML.escape(task.name))</code> \(HTML.badge(task.state))</h1>
        <section class="actions">\(actions)<span class="result" id="action-result"></span></section>
        <table class="details" data-uuid="\(HTML.escape(task.id))">
        \(field("Id", "<code>\(HTML.escape(task.id))</code>"))
        \(field("Name", text(.name)))
        \(field("State", "<span class=\"state-cell\">\(HTML.badge(task.state))</span>"))
        \(field("Args", "<code>\(text(.args))</code>"))
        \(field("Kwargs", "<code>\(text(.kwargs))</code>"))
        \(field("Result", "<code class=\"result\">\(fullResult(task, result))</code>"))
        \(field("Exception", "<code>\(text(.exception))</code>"))
        \(timeRows)
        \(field("Runtime", task.time(.runtime).map { String(format: "%.6f s", $0) } ?? "—"))
        \(field("Retries", text(.retries)))
        \(field("Worker", task.worker.isEmpty ? "—" : "<a href=\"/worker/\(HTML.urlComponent(task.worker))\">\(HTML.escape(task.worker))</a>"))
        \(field("Queue", text(.queue)))
        \(field("ETA", text(.eta)))
        \(field("Expires", text(.expires)))
        \(field("Parent", link(.parentID)))
        \(field("Root", link(.rootID)))
        </table>
        \(traceback.isEmpty ? "" : "<h2>Traceback</h2><pre class=\"traceback\">\(HTML.escape(traceback))</pre>")
        """
    }
}

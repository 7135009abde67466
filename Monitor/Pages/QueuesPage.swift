import TaskQ

/// The Queues page: each queue and priority list, scheduled, unacked and dead letters.
enum QueuesPage {
    static func render(queues: [(name: String, total: Int, lists: [(String, Int)])], consumed: Set<String>,
                       bookkeeping: (scheduled: Int, unacked: Int, dead: Int), deadLetters: [JSONValue]) -> String {
        let rows = queues.map { queue -> String in
            let lists = queue.lists.map { list, length in
                let label = list.replacingOccurrences(of: CeleryKeys.separator, with: " · priority ")
                return "<span class=\"list\">\(HTML.escape(label)): \(length)</span>"
            }.joined(separator: " ")
            let orphan = consumed.contains(queue.name) ? "" : " <span class=\"warning unconsumed\">no worker consumes it</span>"
            return "<tr><td><code>\(HTML.escape(queue.name))</code>\(orphan)</td><td>\(queue.total)</td><td>\(lists)</td></tr>"
        }.joined()
        let dead = deadLetters.map { entry -> String in
            let raw = entry["raw"]?.stringValue ?? entry["raw"]?.jsonText ?? ""
            return "<tr><td>\(HTML.time(entry["time"]?.doubleValue))</td><td>\(HTML.escape(entry["queue"]?.stringValue ?? ""))</td>"
                + "<td>\(HTML.escape(entry["reason"]?.stringValue ?? ""))</td><td><code class=\"raw\">\(HTML.escape(String(raw.prefix(300))))</code></td></tr>"
        }.joined()
        return """
        <h1>Queues</h1>
        <table><thead><tr><th>Queue</th><th>Messages</th><th>By priority list</th></tr></thead><tbody>\(rows)</tbody></table>
        <h2>Bookkeeping</h2>
        <table><tbody>
        <tr><th>Scheduled (ETA / countdown / retries)</th><td>\(bookkeeping.scheduled)</td></tr>
        <tr><th>Unacknowledged (claimed by workers)</th><td>\(bookkeeping.unacked)</td></tr>
        <tr><th>Dead letters</th><td>\(bookkeeping.dead)</td></tr>
        </tbody></table>
        <h2>Dead letters</h2>
        <section class="actions"><button class="danger" data-action="/api/dead-letters/purge" data-confirm="Delete every dead letter?">Purge dead letters</button>
        <span class="result" id="action-result"></span></section>
        <table><thead><tr><th>When (UTC)</th><th>Queue</th><th>Reason</th><th>Message</th></tr></thead>
        <tbody>\(dead.isEmpty ? "<tr class=\"empty\"><td colspan=\"4\">none</td></tr>" : dead)</tbody></table>
        """
    }
}

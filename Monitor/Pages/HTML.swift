import Foundation
import HTTPTypes
import Hummingbird
import TaskQ

/// HTML building: escaping and the page frame.
enum HTML {
    /// Escapes text for element content and quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Escapes a value for a URL path segment or query value.
    static func urlComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// `2026-11-30 01:35:37.123` in UTC: built once (a value type, safe to share), used for every cell.
    private static let timeStyle = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)
        .year().month().day().dateSeparator(.dash).dateTimeSeparator(.space).time(includingFractionalSeconds: true)

    /// A formatted UTC time for an epoch value, or an em dash.
    static func time(_ epoch: Double?) -> String {
        guard let epoch else { return "—" }
        return Date(timeIntervalSince1970: epoch).formatted(timeStyle)
    }

    /// A whole page: navigation, the content, the stylesheet and the live-update script.
    static func page(title: String, active: String, body: String, brokerURL: RedisURL) -> Response {
        let nav = [("workers", "/workers", "Workers"), ("tasks", "/tasks", "Tasks"), ("queues", "/queues", "Queues"), ("schedules", "/schedules", "Schedules")]
            .map { "<a href=\"\($0.1)\"\($0.0 == active ? " class=\"active\"" : "")>\($0.2)</a>" }.joined()
        let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · TaskQ</title><link rel="stylesheet" href="/static/taskq.css"></head>
        <body data-page="\(escape(active))">
        <header><span class="brand">TaskQ</span><nav>\(nav)</nav>
        <span class="broker" title="broker">\(escape(brokerURL.description))</span><span id="live" class="live">connecting…</span></header>
        <main>\(body)</main>
        <script src="/static/taskq.js"></script>
        </body></html>
        """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// A state badge.
    static func badge(_ state: String) -> String {
        "<span class=\"state state-\(escape(state.lowercased()))\">\(escape(state))</span>"
    }
}

/// Which queue each task goes to, as Celery's `task_routes`: exact names, glob patterns
/// (`tasks.email.*`, `*.report?`) and routing functions, tried in order; the first that
/// names a queue wins.
///
/// ```swift
/// let app = App("tasks", routes: TaskRoutes([
///     .name("tasks.resize", queue: "cpu"),
///     .pattern("tasks.email.*", queue: "io"),
///     .function { name, _, _ in name.hasPrefix("reports.") ? "reports" : nil },
/// ]))
/// ```
///
/// A queue given to the call (`SendOptions(queue:)`) wins over the routes; the routes win over
/// the task's own `TaskOptions(queue:)`, which wins over the app's default queue.
public struct TaskRoutes: Sendable {
    /// One routing rule.
    public enum Rule: Sendable {
        /// Tasks of exactly this name.
        case name(String, queue: String)
        /// Tasks whose name matches the glob: `*` any run of characters (dots included), `?` one character.
        case pattern(String, queue: String)
        /// A function of the task's name, args and kwargs; nil passes to the next rule.
        case function(@Sendable (_ name: String, _ args: [JSONValue], _ kwargs: [String: JSONValue]) -> String?)
    }

    /// The rules, in the order they are tried.
    public let rules: [Rule]

    /// Routes by `rules`, tried in order (none: every task goes where its options or the app say).
    public init(_ rules: [Rule] = []) {
        self.rules = rules
    }

    /// Celery's dictionary form: each key an exact name or a glob pattern (it has `*` or `?`).
    public init(_ table: KeyValuePairs<String, String>) {
        rules = table.map { key, queue in
            key.contains("*") || key.contains("?") ? .pattern(key, queue: queue) : .name(key, queue: queue)
        }
    }

    /// The queue the first matching rule names, or nil.
    public func queue(for name: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:]) -> String? {
        for rule in rules {
            switch rule {
            case .name(let exact, let queue) where exact == name:
                return queue
            case .pattern(let pattern, let queue) where Self.glob(pattern, matches: name):
                return queue
            case .function(let route):
                if let queue = route(name, args, kwargs) { return queue }
            default:
                continue
            }
        }
        return nil
    }

    /// Whether `text` matches the glob `pattern` (`*` and `?`, as Python's `fnmatch` without sets).
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.unicodeScalars)
        let text = Array(text.unicodeScalars)
        var (p, t) = (0, 0)
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) && pattern[p] != "*" {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = (p, t)
                p += 1
            } else if let last = star {
                p = last.pattern + 1
                t = last.text + 1
                star = (last.pattern, last.text + 1)
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

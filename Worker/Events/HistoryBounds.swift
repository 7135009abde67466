import TaskQ

/// How much of a task's data its monitor history keeps.
///
/// History is written for every task, so it holds reprs of bounded size (Celery's
/// `argsrepr` is at most 1,024 characters), never the values themselves: a task with
/// 5 MB of arguments costs the history about 1 KB, not 5 MB. The full result stays in
/// the result record, which the task page reads. The arguments as JSON, which the
/// monitor's Retry resends, are kept while they are small.
enum HistoryBounds {
    /// Characters kept of an args, kwargs, result or exception repr.
    static let repr = 1_024
    /// Characters kept of a traceback.
    static let traceback = 16_384
    /// Bytes of args or kwargs JSON kept for Retry; larger arguments are not kept.
    static let argumentsJSON = 64 * 1_024

    /// A repr held to `limit` characters (`...` marks a cut).
    static func bounded(_ text: String, limit: Int = repr) -> String {
        PythonRepr.truncated(text, limit: limit)
    }

    /// The arguments' JSON when it is small enough to keep, else `nil`.
    static func keptJSON(_ value: JSONValue) -> String? {
        let text = value.jsonText
        return text.utf8.count <= argumentsJSON ? text : nil
    }
}

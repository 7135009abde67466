/// The time limits TaskQ enforces, whatever a message header, a flag or a task option says.
///
/// A limit arrives as a JSON number from any sender (`timelimit: [hard, soft]`), so it may be
/// negative, zero, NaN, `Infinity` or 1e308. `Duration` and `Task.sleep` trap on values that
/// large, so every limit passes through `accepted(_:)` before it is used: a limit that means
/// nothing (NaN, zero or below) is no limit, as in Celery, and one beyond `longest` is held
/// to `longest`, which no task notices.
package enum TimeLimitRange {
    /// The longest limit enforced, in seconds (a year): longer ones, `Infinity` included, are held to it.
    package static let longest: Double = 365 * 24 * 3600

    /// What to enforce for `seconds`, and why it differs from what was asked.
    package struct Decision: Equatable, Sendable {
        /// The limit to enforce in seconds, `nil` for none.
        package var seconds: Double?
        /// Why the asked value was changed, `nil` when it was taken as it is.
        package var adjustment: String?
    }

    /// The limit to enforce for `seconds`, with a note when the value was dropped or held to `longest`.
    package static func accepted(_ seconds: Double?) -> Decision {
        guard let seconds else { return Decision(seconds: nil, adjustment: nil) }
        if seconds.isNaN || seconds <= 0 {
            return Decision(seconds: nil, adjustment: "\(seconds) s is not a time limit; running without one")
        }
        if seconds > longest {
            return Decision(seconds: longest, adjustment: "\(seconds) s is beyond the longest limit; using \(longest) s (one year)")
        }
        return Decision(seconds: seconds, adjustment: nil)
    }

    /// The limit to enforce for `seconds`, without the note.
    package static func clamped(_ seconds: Double?) -> Double? {
        accepted(seconds).seconds
    }
}

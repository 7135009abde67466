/// Thrown from a task body to ask for another attempt, like Celery's `self.retry()`.
///
/// ```swift
/// throw Retry(countdown: .seconds(5), reason: error)
/// ```
public struct Retry: Error, Sendable, CustomStringConvertible {
    /// How long to wait before the next attempt; `nil` uses the task's retry policy.
    public var countdown: Duration?
    /// The error that caused the retry, stored with the RETRY state.
    public var reason: (any Error)?

    /// Asks for a retry after `countdown` (or the task's policy), because of `reason`.
    public init(countdown: Duration? = nil, reason: (any Error)? = nil) {
        self.countdown = countdown
        self.reason = reason
    }

    public var description: String {
        "Retry in \(countdown.map { "\($0.seconds)s" } ?? "the default delay")" + (reason.map { ": \($0)" } ?? "")
    }
}

/// Raised inside a task whose soft time limit passed; the task may catch it and clean up.
public struct SoftTimeLimitExceeded: Error, Sendable, CustomStringConvertible {
    /// The limit that passed, in seconds.
    public let limit: Double
    public var description: String { "SoftTimeLimitExceeded(\(limit))" }
}

/// A rate in Celery's syntax: `"10/s"`, `"100/m"`, `"1000/h"`, or a bare number per second.
package struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// Tasks allowed per second.
    package let perSecond: Double
    /// The text it was parsed from.
    package let text: String

    /// Parses Celery's syntax; an unknown unit is an error naming it.
    package init(_ text: String) throws {
        let trimmed = text.trimmed()
        let parts = trimmed.split(separator: "/", maxSplits: 1).map(String.init)
        guard let amount = parts.first.flatMap(Double.init), amount >= 0 else {
            throw ArgumentMismatch(message: "invalid rate limit '\(text)': expected a number, optionally with /s, /m or /h (e.g. '10/s')")
        }
        var seconds = 1.0
        if parts.count == 2 {
            switch parts[1].lowercased() {
            case "s", "sec", "second": seconds = 1
            case "m", "min", "minute": seconds = 60
            case "h", "hour": seconds = 3600
            default: throw ArgumentMismatch(message: "invalid rate limit '\(text)': unknown unit '\(parts[1])' (use s, m or h)")
            }
        }
        perSecond = amount / seconds
        self.text = trimmed
    }

    /// Seconds between two tasks at this rate; `nil` when the rate is 0 (no limit, as in Celery).
    package var interval: Double? { perSecond > 0 ? 1 / perSecond : nil }

    package var description: String { text }
}

import FoundationEssentials

import Foundation

/// A task listing request: Flower's `/api/tasks` parameters.
struct TaskQuery: Sendable {
    var limit = 100
    var offset = 0
    var state: String?
    var taskName: String?
    var workerName: String?
    /// `received`, `started`, `name` or `state`, optionally with a leading `-` for descending.
    var sortBy: String?
    var receivedStart: Double?
    var receivedEnd: Double?
    var search: String?

    /// The most tasks one listing returns; `limit=0` (Flower: no limit) means this many.
    static let maxLimit = 10_000

    /// Whether the page can be read from the sorted-set indexes (state, name, worker and
    /// received-time filters, ordered by received time) rather than by scanning task hashes.
    var readsIndexes: Bool {
        [nil, "received", "-received"].contains(sortBy) && (search ?? "").isEmpty
    }

    /// Parses Flower's `YYYY-MM-DD HH:MM` bounds (UTC), or epoch seconds.
    static func parseTime(_ text: String?) -> Double? {
        guard let text, !text.isEmpty else { return nil }
        if let seconds = Double(text) { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        }
        return nil
    }
}

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

    /// Whether the newest-first page can be read straight from one index.
    var isSimple: Bool {
        let filters = [state, taskName, workerName].compactMap { $0 }.count
        return filters <= 1 && (sortBy == nil || sortBy == "-received") && receivedStart == nil
            && receivedEnd == nil && (search ?? "").isEmpty
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

import FoundationEssentials
import Synchronization

/// The periodic entries an app defines in code, in the order they were added.
package final class ScheduleRegistry: Sendable {
    private let entries = Mutex<[ScheduleEntry]>([])

    package init() {}

    /// Adds an entry; throws when one of the same name exists.
    func add(_ entry: ScheduleEntry) throws(ScheduleError) {
        let added = entries.withLock { entries -> Bool in
            guard !entries.contains(where: { $0.name == entry.name }) else { return false }
            entries.append(entry)
            return true
        }
        if !added { throw .invalid(field: "name", value: entry.name, reason: "is already scheduled in this app") }
    }

    /// Every entry, in the order added.
    package var all: [ScheduleEntry] { entries.withLock { $0 } }
}

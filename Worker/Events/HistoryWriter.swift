import FoundationEssentials
import TaskQ

/// Writes the monitor's task history (`taskq:task:<id>` and its indexes), batched.
///
/// Changed tasks wait up to `flushInterval` (or until `flushCount` are waiting); each is then
/// written whole, as it stands: a short task received, started and finished in one window is
/// written once, and a batch of tasks costs one `MSET` and one call per index touched. The
/// window is longer than the event window, since nobody waits on history the way Flower's
/// live view waits on events.
/// History is written whether or not task events are sent. Owned by the event loop.
final class HistoryWriter {
    private let node: String
    private let writer: RedisWriter
    /// Tasks whose history changed since the last flush, in the order first touched.
    private var pending: [HistoryRecord] = []
    /// Where each job (by number) is in `pending`.
    private var positions: [Int: Int] = [:]
    private var lastFlush = Date.distantPast
    private var lastTrim = Date.distantPast
    private var trimOwed = false
    private var lastScore = 0.0
    /// The longest a record waits before it is written.
    static let flushInterval = 0.5
    /// Records waiting that trigger a flush at once. At 2,000 the worker tree peaked about 4 MiB
    /// higher in a default drain (45.7 against 41.5 MiB) for no more throughput.
    static let flushCount = 500
    /// The shortest time between two trims of the history (a trim reads the index sizes).
    static let trimInterval = 1.0
    /// Tasks kept in the history (oldest dropped first).
    var maxTasks = 100_000
    /// Seconds a task stays in the history.
    var maxAge = 3 * 86_400

    init(node: String, writer: RedisWriter) {
        self.node = node
        self.writer = writer
    }

    /// A task's score in the indexes: its received time, a microsecond after the previous
    /// task's when they came in one claim, so that a trim's score bound splits no batch.
    func score(receivedAt: Date) -> Double {
        lastScore = max(receivedAt.timeIntervalSince1970, lastScore + 0.000_001)
        return lastScore
    }

    /// Takes a job's history as it stands after an event (its `historyFields` and
    /// `recordedState` just updated); `previous` is what the indexes held before, used when
    /// this is the job's first change since the last flush.
    func touch(_ job: Job, previous: HistoryRecord.Previous) {
        if let position = positions[job.number] {
            pending[position].state = job.recordedState ?? ""
            pending[position].fields = job.historyFields
        } else {
            positions[job.number] = pending.count
            pending.append(HistoryRecord(job, previous: previous))
        }
    }

    /// Writes the waiting records in one script call when `flushInterval` has passed since the
    /// last flush, `flushCount` are waiting, or `force` (at shutdown), and trims the history at
    /// most every `trimInterval`. A flush that had to skip the trim owes one, which a later
    /// call makes even with no records, so the history ends within its caps when work stops.
    func flush(force: Bool = false) {
        let now = Date()
        let trimDue = now.timeIntervalSince(lastTrim) >= Self.trimInterval
        if pending.isEmpty {
            guard trimOwed && trimDue else { return }
        } else {
            guard force || pending.count >= Self.flushCount || now.timeIntervalSince(lastFlush) >= Self.flushInterval else { return }
        }
        lastFlush = now
        let trim = trimDue || force
        if trim { lastTrim = now }
        trimOwed = !trim
        var arguments: [[UInt8]] = [Array(String(maxTasks).utf8), Array(String(maxAge).utf8),
                                    Array(FixedPoint.text(now.timeIntervalSince1970, places: 6).utf8),
                                    Array((trim ? "1" : "0").utf8), Array(node.utf8)]
        arguments.reserveCapacity(5 + pending.count * 6)
        for record in pending { record.arguments(into: &arguments) }
        pending.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        writer.enqueue([.script(TaskHistory.record, keys: [], arguments: arguments)])
    }
}

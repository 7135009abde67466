import FoundationEssentials
import FoundationInternationalization
import Logging
import ServiceLifecycle
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// `taskq beat`: sends periodic tasks as ordinary Celery messages, from the schedule kept in
/// Redis (`ScheduleKeys`). Any number may run; the one holding the leader lease sends, the
/// others wait to take over. See `BeatScripts` for why no slot is sent twice.
public final class BeatService: Service, Sendable {
    let configuration: BeatConfiguration
    let logger: Logger
    let redis: RedisClient
    let store: ScheduleStore
    let planner: BeatPlanner

    /// The most due slots handled per round trip.
    static let dueBatch = 100

    /// Creates the service; it connects when it runs.
    public init(configuration: BeatConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        redis = RedisClient(url: configuration.brokerURL, name: "taskq.beat")
        store = ScheduleStore(redis: redis)
        planner = BeatPlanner(catchUp: configuration.catchUp)
    }

    /// Syncs the app's code entries, then leads or waits to lead until a graceful shutdown.
    public func run() async throws {
        let codeEntries = try await loadCodeEntries()
        printBanner(codeEntries: codeEntries)
        do {
            try await cancelWhenGracefulShutdown {
                try await self.syncWithRetry(codeEntries)
                try await self.loop()
            }
        } catch is CancellationError {
        }
        await redis.shutdown()
    }

    private func loadCodeEntries() async throws -> [ScheduleEntry]? {
        guard let executable = configuration.executable else { return nil }
        let loaded = try await AppScheduleLoader.load(executable: executable, brokerURL: configuration.brokerURL)
        for refused in loaded.refused {
            logger.error("beat: The app's entry \(refused.name) is refused: \(refused.reason)")
        }
        return loaded.entries
    }

    private func syncWithRetry(_ entries: [ScheduleEntry]?) async throws {
        guard let entries else { return }
        var backoff = RedisBackoff()
        while true {
            do {
                let changes = try await store.syncCode(entries)
                backoff.connected(logger: logger)
                if !(changes.added + changes.changed + changes.removed).isEmpty {
                    logger.info("beat: Synced the app's schedule: added \(Self.list(changes.added)), changed \(Self.list(changes.changed)), removed \(Self.list(changes.removed))")
                }
                return
            } catch {
                try await backoff.failed(error, url: configuration.brokerURL, logger: logger)
            }
        }
    }

    private static func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }

    private func printBanner(codeEntries: [ScheduleEntry]?) {
        var lines = ["taskq beat v\(TaskQVersion.current) is starting.",
                     "LocalTime -> \(CeleryTime.format(Date()))",
                     "Configuration ->",
                     "    . broker -> \(configuration.brokerURL)",
                     "    . scheduler -> taskq (Redis taskq:beat:*, leader lease \(FixedPoint.text(configuration.lease, places: 1)) s, catch-up \(FixedPoint.text(configuration.catchUp, places: 1)) s)",
                     "    . clock -> the Redis server's (TIME)",
                     "    . beat -> \(configuration.beatID)"]
        if let codeEntries {
            lines.append("    . app -> \(configuration.executable ?? "") (\(codeEntries.count) entr\(codeEntries.count == 1 ? "y" : "ies") in code)")
            for entry in codeEntries { lines.append("      . \(entry.name): \(entry.task), \(entry.timing.description)") }
        }
        let text = Array((lines.joined(separator: "\n") + "\n\n").utf8)
        // Written at once, unbuffered, so the banner comes before the log lines (which go to stderr).
        _ = text.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}

/// What the loop knows between rounds.
struct BeatLoopState {
    /// `<fence>:<beat id>` while this beat leads.
    var leaderValue: String?
    /// When the lease was last renewed (this host's monotonic clock).
    var renewedAt = ContinuousClock.now
    /// The entries version loaded, -1 before the first load.
    var version = -1
    /// Active entries with their rules, by name.
    var entries: [String: (entry: ScheduleEntry, rule: ScheduleRule)] = [:]
    /// Entry names already logged as unusable at this version.
    var reported: Set<String> = []
}

import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TaskQ
import TaskQWorker
import TaskQWorkerCommand

/// `taskq beat -A tasks`: sends periodic tasks; `taskq beat list|add|remove|pause|resume|run-now` edits them live.
struct BeatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beat", abstract: "Send periodic tasks (Celery beat), highly available; list and edit schedules live.",
        subcommands: [BeatRunCommand.self, BeatListCommand.self, BeatAddCommand.self, BeatRemoveCommand.self,
                      BeatPauseCommand.self, BeatResumeCommand.self, BeatRunNowCommand.self],
        defaultSubcommand: BeatRunCommand.self)
}

/// `taskq beat [run] -A tasks --loglevel=info`
struct BeatRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sync the app's schedule into Redis and send due tasks; any number may run, one leads.",
        discussion: "Slots are decided on the Redis server's clock. The leader holds a lease; another beat takes over within it when the leader dies. Slots up to --catch-up seconds late are each sent; older missed slots are sent once and counted (Celery's behaviour).")

    @Option(name: [.customShort("A"), .customLong("app")], help: "The app's executable, whose code entries are synced (omit: only the entries in Redis).")
    var app: String?

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.short, .customLong("loglevel")], help: "debug, info, warning, error or critical.")
    var loglevel: String = "warning"

    @Option(name: .customLong("lease"), help: "Seconds of the leader's lease (default 10): the longest a dead leader's slots wait for another beat.")
    var lease: Double = 10

    @Option(name: .customLong("catch-up"), help: "Seconds a slot may be late and still be sent on its own (default: twice the lease; 0: Celery's fire once).")
    var catchUp: Double?

    func validate() throws {
        guard lease >= 1 && lease <= 3600 else { throw ValidationError("--lease must be 1 to 3600 seconds (got \(lease))") }
        if let catchUp, !(catchUp >= 0 && catchUp <= 86_400) { throw ValidationError("--catch-up must be 0 to 86400 seconds (got \(catchUp))") }
    }

    func run() async throws {
        _ = try LogSetup.bootstrap(level: loglevel)
        let brokerURL: RedisURL
        do { brokerURL = try RedisURL(connection.brokerString) } catch { throw ValidationError("\(error)") }
        let configuration = BeatConfiguration(executable: try app.map { try ExecutableLocator.locate($0) }, brokerURL: brokerURL,
                                              lease: lease, catchUp: catchUp)
        let beat = BeatService(configuration: configuration, logger: Logger(label: "taskq.beat"))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: beat, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "taskq.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await group.run()
    }
}

/// The store of the broker the options name.
struct BeatStoreOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    func store() throws -> ScheduleStore {
        ScheduleStore(redis: RedisClient(url: try RedisURL(connection.brokerString), name: "taskq.beat.cli"))
    }
}

/// `taskq beat list [--json]`
struct BeatListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the periodic entries, their next and last runs.")

    @OptionGroup var options: BeatStoreOptions

    @Flag(help: "Print JSON (as /api/schedules).")
    var json = false

    func run() async throws {
        let store = try options.store()
        let (statuses, unreadable) = try await store.statuses()
        if json {
            print(JSONValue.array(statuses.map { $0.json(nextRunLocal: $0.nextRun.flatMap($0.entry.timing.localText)) }).jsonText)
            return
        }
        if let leader = try await store.leader() {
            print("Leader: \(leader.beat) (fencing token \(leader.fence), lease \(String(format: "%.1f", leader.leaseLeft)) s left)")
        } else {
            print("Leader: none (no taskq beat is running)")
        }
        if statuses.isEmpty { print("No periodic entries.") }
        for status in statuses {
            let entry = status.entry
            let state = status.paused ? "paused" : "active"
            print("\(entry.name)  [\(entry.source.rawValue), \(state)]  \(entry.task)\(Self.arguments(entry))  \(entry.timing.description)")
            let next = status.nextRun.map { CeleryTime.format($0) + ($0 == Date.distantPast ? "" : entry.timing.localText($0).map { " = \($0)" } ?? "") } ?? "-"
            print("    next \(next); last \(status.lastRun.map(CeleryTime.format) ?? status.lastSent.map(CeleryTime.format) ?? "never")"
                  + "\(status.lastTaskID.map { " (task \($0))" } ?? ""); runs \(status.totalRuns)\(status.missed > 0 ? "; missed \(status.missed)" : "")")
        }
        for (name, reason) in unreadable { print("\(name)  [unreadable] \(reason)") }
    }

    static func arguments(_ entry: ScheduleEntry) -> String {
        let args = entry.args.map(\.jsonText)
        let kwargs = entry.kwargs.keys.sorted().map { "\($0)=\(entry.kwargs[$0]!.jsonText)" }
        return "(" + (args + kwargs).joined(separator: ", ") + ")"
    }
}

import ArgumentParser
import FoundationEssentials
import Dispatch
import Logging
import ServiceLifecycle
import TaskQ
import TaskQWorker
#if canImport(Glibc)
import Glibc
#endif

/// `taskq worker -A tasks --loglevel=info -c 4 -Q celery,emails`
package struct WorkerCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: claim tasks from Redis and run them in child processes of the app executable.")

    @Option(name: [.customShort("A"), .customLong("app")], help: "The app's executable: a path, or a product in ./.build/release, ./.build/debug or $PATH.")
    var app: String

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup(title: "Message formats and security") var messages: MessageSecurityOptions

    @Option(name: [.short, .long], help: "Tasks run at once: prefork, one child process each (default: the number of cores); async, in all, spread over --processes children (default: 100 per process); solo: 1.")
    var concurrency: Int?

    @Option(name: [.customShort("P"), .customLong("pool")], help: "prefork (default: a process per task, for CPU-bound work), async (many tasks per process as Swift tasks, for I/O-bound work) or solo (one process, one task).")
    var pool: String = "prefork"

    @Option(name: .customLong("processes"), help: "Child processes of the async pool (default: the number of cores, at most -c); -c tasks are spread over them.")
    var processes: Int?

    @Option(name: .customLong("autoscale"), help: "MAX,MIN: prefork children grown up to MAX while tasks wait, and shrunk to MIN after they idle (Celery's --autoscale).")
    var autoscale: String?

    @Option(name: .customLong("autoscale-idle"), help: "Seconds an autoscaled child may idle before it is retired (default 30).")
    var autoscaleIdle: Double = 30

    @Option(name: [.customShort("Q"), .customLong("queues")], help: "Comma-separated queues to consume (default: celery).")
    var queues: String = "celery"

    @Option(name: [.short, .customLong("hostname")], help: "Node name, e.g. w1@%h (default: celery@<host>).")
    var nodeName: String?

    @Option(name: [.short, .customLong("loglevel")], help: "debug, info, warning, error or critical.")
    var loglevel: String = "warning"

    @Option(name: .customLong("prefetch-multiplier"), help: "Messages held ahead per task slot, obeyed as given (0: as many as 5,000 in all). Default: about 0.1 s of work per slot by the measured average run time, 1 to 128 per slot and at most 1,024 in all (or one per slot when -c is larger); 4 until a task has run.")
    var prefetchMultiplier: Int?

    @Flag(name: .customLong("acks-late"), help: "Acknowledge after a task finishes, for tasks that do not say otherwise.")
    var acksLate = false

    @Option(name: .customLong("time-limit"), help: "Default hard time limit in seconds (the child is killed).")
    var timeLimit: Double?

    @Option(name: .customLong("soft-time-limit"), help: "Default soft time limit in seconds (the task is cancelled).")
    var softTimeLimit: Double?

    @Option(name: .customLong("visibility-timeout"), help: "Seconds before messages held by a dead worker are restored (default 30).")
    var visibilityTimeout: Double = 30

    @Option(name: .customLong("max-tasks-per-child"), help: "Replace a child after this many tasks.")
    var maxTasksPerChild: Int?

    @Option(name: .customLong("max-memory-per-child"), help: "Replace a child whose resident memory exceeds this many KiB.")
    var maxMemoryPerChild: Int?

    @Option(name: .customLong("shutdown-timeout"), help: "Seconds a warm shutdown waits for running tasks (default 60).")
    var shutdownTimeout: Double = 60

    @Option(name: .customLong("max-deliveries"), help: "Deliveries after which a message goes to the dead-letter list (default 3).")
    var maxDeliveries: Int = 3

    @Option(name: .customLong("result-expires"), help: "Seconds results are kept (default 86400).")
    var resultExpires: Int = 86_400

    @Option(name: .customLong("max-tasks"), help: "Tasks kept in the monitor's history in Redis (default 100000).")
    var maxTasks: Int = 100_000

    @Option(name: .customLong("max-task-age"), help: "Seconds a task stays in the monitor's history (default 259200, 3 days).")
    var maxTaskAge: Int = 259_200

    @Option(name: .customLong("foreign-visibility-timeout"), help: "Seconds before messages claimed by other consumers (Python workers) are restored, as kombu's visibility_timeout (default 3600).")
    var foreignVisibilityTimeout: Double = 3600

    @Flag(name: [.customShort("E"), .customLong("task-events")], help: "Send task events (on by default; kept for Celery compatibility).")
    var taskEvents = false

    @Flag(name: [.customShort("B"), .customLong("beat")], help: "Also run a beat in this worker (Celery's -B): it syncs the app's schedule and, while it leads, sends due tasks.")
    var beat = false

    @Flag(name: .customLong("without-events"), help: "Do not send task events (Flower and `celery events` see none); the monitor's history is still recorded.")
    var withoutEvents = false

    package init() {}

    package func validate() throws {
        if let concurrency, concurrency < 1 {
            throw ValidationError("--concurrency must be at least 1 (got \(concurrency)); a worker without children would never run a task")
        }
        for (flag, value) in [("--time-limit", timeLimit), ("--soft-time-limit", softTimeLimit)] {
            if let value, !(value > 0 && value <= TimeLimitRange.longest) {
                throw ValidationError("\(flag) must be a number of seconds above 0 and at most \(Int(TimeLimitRange.longest)) (one year); got \(value)")
            }
        }
        for (flag, value) in [("--visibility-timeout", visibilityTimeout), ("--shutdown-timeout", shutdownTimeout),
                              ("--foreign-visibility-timeout", foreignVisibilityTimeout)] {
            if !(value >= 0 && value <= TimeLimitRange.longest) {
                throw ValidationError("\(flag) must be a number of seconds from 0 to \(Int(TimeLimitRange.longest)); got \(value)")
            }
        }
        guard let kind = PoolKind(rawValue: pool) else {
            throw ValidationError("--pool must be prefork, async or solo (got '\(pool)')")
        }
        if let processes, processes < 1 { throw ValidationError("--processes must be at least 1 (got \(processes))") }
        if processes != nil && kind != .async { throw ValidationError("--processes is for the async pool; prefork takes -c child processes") }
        if autoscale != nil {
            guard kind == .prefork else { throw ValidationError("--autoscale is for the prefork pool (got -P \(pool))") }
            guard Self.autoscaleRange(autoscale) != nil else {
                throw ValidationError("--autoscale takes MAX,MIN with 1 ≤ MIN ≤ MAX (got '\(autoscale ?? "")')")
            }
        }
        if !(autoscaleIdle > 0 && autoscaleIdle <= TimeLimitRange.longest) {
            throw ValidationError("--autoscale-idle must be a number of seconds above 0 (got \(autoscaleIdle))")
        }
        if let prefetchMultiplier, prefetchMultiplier < 0 {
            throw ValidationError("--prefetch-multiplier must be 0 or more (got \(prefetchMultiplier))")
        }
        if maxDeliveries < 1 { throw ValidationError("--max-deliveries must be at least 1 (got \(maxDeliveries))") }
        _ = try messages.settings()
    }

    package func run() async throws {
        // `taskq worker` becomes the slimmer `taskq-worker` when it is installed beside it.
        WorkerBinary.handOverIfInstalled()
        try await runWorker()
    }

    /// Runs the worker in this process until it shuts down.
    package func runWorker() async throws {
        _ = try LogSetup.bootstrap(level: loglevel)
        signal(SIGPIPE, SIG_IGN)
        let logger = Logger(label: "taskq.worker")
        let host = ProcessInfo.processInfo.hostName
        let name = (nodeName ?? "celery@%h").replacing("%h", with: host)
        let brokerURL: RedisURL
        let backendURL: RedisURL
        do {
            brokerURL = try RedisURL(connection.brokerString)
            backendURL = try RedisURL(connection.backendString)
        } catch {
            throw ValidationError("\(error)")
        }
        let configuration = WorkerConfiguration(
            executable: try ExecutableLocator.locate(app), brokerURL: brokerURL, backendURL: backendURL,
            concurrency: concurrency ?? ProcessInfo.processInfo.activeProcessorCount,
            queues: queues.split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty },
            nodeName: name.contains("@") ? name : "\(name)@\(host)", prefetchMultiplier: prefetchMultiplier,
            acksLate: acksLate, timeLimit: timeLimit, softTimeLimit: softTimeLimit, visibilityTimeout: visibilityTimeout,
            maxTasksPerChild: maxTasksPerChild, maxMemoryPerChild: maxMemoryPerChild, shutdownTimeout: shutdownTimeout,
            resultExpiry: resultExpires, sendTaskEvents: !withoutEvents, maxDeliveries: maxDeliveries)
        var settings = configuration
        let kind = PoolKind(rawValue: pool) ?? .prefork
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let children = kind == .async ? max(1, processes ?? cores) : cores
        settings.concurrency = concurrency ?? (kind == .async ? 100 * children : cores)
        settings.pool = PoolShape(kind: kind, concurrency: settings.concurrency, processes: processes, cores: cores)
        if let range = Self.autoscaleRange(autoscale) {
            settings.autoscale = range
            settings.pool = PoolShape(kind: .prefork, concurrency: range.maximum, processes: nil, cores: cores)
            settings.concurrency = range.maximum
        }
        settings.autoscaleIdle = autoscaleIdle
        settings.historyMaxTasks = maxTasks
        settings.historyMaxAge = maxTaskAge
        settings.foreignVisibilityTimeout = foreignVisibilityTimeout
        (settings.reader, settings.format) = try messages.settings()
        let worker = Worker(configuration: settings, logger: logger)
        // SIGTERM/SIGINT is a graceful shutdown (Celery's warm shutdown; the worker takes one
        // more of them as the cold one), SIGQUIT cancels the group: a cold shutdown at once.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)]
        if beat {
            let beatService = BeatService(configuration: BeatConfiguration(executable: settings.executable, brokerURL: brokerURL),
                                          logger: Logger(label: "taskq.beat"))
            services.append(.init(service: beatService, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [.sigquit],
            logger: Logger(label: "taskq.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await group.run()
    }

    /// `MAX,MIN` (Celery's order; a single number is MAX with MIN 1); nil when absent or malformed.
    static func autoscaleRange(_ text: String?) -> (maximum: Int, minimum: Int)? {
        guard let text else { return nil }
        let parts = text.split(separator: ",").map { Int($0.trimmed()) }
        guard let maximum = parts.first ?? nil, maximum >= 1 else { return nil }
        let minimum = parts.count > 1 ? (parts[1] ?? -1) : 1
        guard parts.count <= 2, minimum >= 1, minimum <= maximum else { return nil }
        return (maximum, minimum)
    }
}

import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import TaskQ

/// Everything a worker is told on its command line, with Celery's defaults.
public struct WorkerConfiguration: Sendable {
    /// The app's executable, resolved to a path.
    public var executable: String
    /// The broker URL.
    public var brokerURL: RedisURL
    /// The result backend URL.
    public var backendURL: RedisURL
    /// Number of pool children. Default: the number of cores.
    public var concurrency: Int
    /// Queues to consume, in priority order.
    public var queues: [String]
    /// The worker's node name, `name@host`.
    public var nodeName: String
    /// Messages held ahead per task slot (Celery's `worker_prefetch_multiplier`), obeyed as given;
    /// `nil` (the default) sizes it by the measured run time (see `PrefetchRule`).
    public var prefetchMultiplier: Int?
    /// Acknowledge after the task finishes, for tasks that do not say otherwise. Default false.
    public var acksLate: Bool
    /// Default hard time limit in seconds.
    public var timeLimit: Double?
    /// Default soft time limit in seconds.
    public var softTimeLimit: Double?
    /// Seconds after which a message held by a worker that stopped heartbeating is restored. Default 30.
    public var visibilityTimeout: Double
    /// Tasks kept in the monitor's history in Redis (oldest dropped first). Default 100,000.
    public var historyMaxTasks = 100_000
    /// Seconds a task stays in the monitor's history. Default 3 days.
    public var historyMaxAge = 3 * 86_400
    /// Seconds after which a message claimed by a non-TaskQ consumer (a Python worker) is
    /// restored, as kombu's own `visibility_timeout` would. Default 3600.
    public var foreignVisibilityTimeout: Double = 3600
    /// Replace a child after it ran this many tasks.
    public var maxTasksPerChild: Int?
    /// Replace a child after a task when its resident memory exceeds this many KiB.
    public var maxMemoryPerChild: Int?
    /// Seconds a warm shutdown waits for running tasks. Default 60.
    public var shutdownTimeout: Double
    /// Seconds results are kept. Default 86400.
    public var resultExpiry: Int
    /// Whether to publish task events (Celery's `-E`). Worker events are always sent.
    public var sendTaskEvents: Bool
    /// Deliveries after which a message that keeps killing its child goes to the dead-letter list. Default 3.
    public var maxDeliveries: Int
    /// The pool: its kind, children and tasks per child. Default: prefork, `concurrency` children.
    public var pool: PoolShape
    /// Children the pool may grow to and shrink to with the load (Celery's `--autoscale MAX,MIN`; prefork only).
    public var autoscale: (maximum: Int, minimum: Int)?
    /// Seconds an autoscaled child may idle before it is retired. Default 30 (Celery's keepalive).
    public var autoscaleIdle = 30.0
    /// What the worker accepts and trusts (`--accept-content`, `--security-cert-store`,
    /// `--require-header-signature`). Default: JSON only, as Celery's `accept_content`.
    public var reader = MessageReader.json
    /// How the worker writes the messages it sends (retries, follow-ups, replacements):
    /// its `task_serializer` and signing identity. Default: plain JSON.
    public var format = MessageFormat.json
    /// This run of the worker, unique across restarts under the same node name.
    ///
    /// Claims are recorded as `"<node> <incarnation>"` and each run has a liveness key of
    /// its own, so a worker restarted under its old name tells its own claims from those of
    /// the run before it, whether that one died or is still finishing a warm shutdown.
    public let incarnation = "\(getpid())-\(UInt32.random(in: 0 ... .max))"

    /// The holder recorded for each message this worker claims (`taskq:claims`).
    var claimHolder: String { "\(nodeName) \(incarnation)" }

    /// Creates a configuration.
    public init(executable: String, brokerURL: RedisURL, backendURL: RedisURL, concurrency: Int, queues: [String],
                nodeName: String, prefetchMultiplier: Int? = nil, acksLate: Bool = false, timeLimit: Double? = nil,
                softTimeLimit: Double? = nil, visibilityTimeout: Double = 30, maxTasksPerChild: Int? = nil,
                maxMemoryPerChild: Int? = nil, shutdownTimeout: Double = 60, resultExpiry: Int = 86_400,
                sendTaskEvents: Bool = true, maxDeliveries: Int = 3) {
        self.executable = executable
        self.brokerURL = brokerURL
        self.backendURL = backendURL
        self.concurrency = concurrency
        self.queues = queues
        self.nodeName = nodeName
        self.prefetchMultiplier = prefetchMultiplier
        self.acksLate = acksLate
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
        self.visibilityTimeout = visibilityTimeout
        self.maxTasksPerChild = maxTasksPerChild
        self.maxMemoryPerChild = maxMemoryPerChild
        self.shutdownTimeout = shutdownTimeout
        self.resultExpiry = resultExpiry
        self.sendTaskEvents = sendTaskEvents
        self.maxDeliveries = maxDeliveries
        pool = PoolShape(kind: .prefork, concurrency: concurrency, processes: nil, cores: 1)
    }

    /// Whether the node name's host part is this machine's (then a run's pid can be checked).
    var runsOnThisHost: Bool {
        nodeName.split(separator: "@", maxSplits: 1).last.map(String.init) == ProcessInfo.processInfo.hostName
    }

    /// How long the liveness key lasts without renewal: the visibility timeout, at least 6 s.
    var livenessSeconds: Double { max(6, visibilityTimeout) }

    /// Every Redis list the worker consumes, highest priority step first, then by queue.
    var consumedLists: [(list: String, queue: String)] {
        CeleryKeys.prioritySteps.flatMap { step in
            queues.map { (CeleryKeys.queueList($0, priority: step), $0) }
        }
    }
}

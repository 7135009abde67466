import FoundationEssentials
import Logging
import TaskQ

/// What the core decided, for the driver to carry out in order: frames to children,
/// writes to Redis, events, side requests and log lines. Nothing in here has happened yet.
enum SupervisorAction {
    // MARK: Children
    /// Start child number `child`; answer with `.childSpawned` or `.childSpawnFailed`.
    case spawnChild(Int)
    /// Send `job` to `child` in a run frame.
    case sendRun(child: Int, job: Job, softTimeLimit: Double?)
    /// Ask `child` to drop job number `job`, which it holds unstarted.
    case sendDrop(child: Int, job: Int)
    /// Ask an async `child` to cancel the task of job number `job`.
    case sendCancel(child: Int, job: Int)
    /// Ask `child` to exit once it is idle (it holds no job).
    case askChildToExit(Int)
    /// Kill `child` with `signal`.
    case killChild(Int, signal: Int32)

    // MARK: Claimer
    /// Start claiming from `queues` (a running claimer is replaced).
    case startClaimer(queues: [String])
    /// Stop claiming.
    case stopClaimer
    /// Let the claimer take `n` more messages.
    case grantCredits(Int)

    // MARK: Writes
    /// Ack a delivery.
    case ack(tag: String)
    /// Store a result record, then ack `ackTag` (in one step when broker and backend are one).
    case store(ResultRecord, ackTag: String?)
    /// Store a record only if the task has not started or finished.
    case storeIfWaiting(ResultRecord)
    /// Move a delivery to the dead-letter list with its reason.
    case deadLetter(tag: String, reason: String, queue: String)
    /// Hold `message` in the scheduled set until `due`, acking `replacing` in the same step.
    case schedule(TaskMessage, due: Date, list: String, replacing: String?)
    /// Put deliveries back at the head of their lists.
    case restore([Delivery], countsAsDelivery: Bool)
    /// Start a canvas (a chain step, callback, errback or chord callback): store its chords'
    /// header sizes on the result backend, then send its messages.
    case publishCanvas(chordSizes: [CanvasPlanner.ChordSize], messages: [CanvasPlanner.Publish])
    /// Push a message back to the head of `list`, to be consumed next.
    case republish(TaskMessage, list: String)
    /// Move the held deliveries' visibility scores to now.
    case renew([String])
    /// Refresh this worker's liveness key.
    case markAlive
    /// Remove this worker's liveness key (a clean exit).
    case markGone
    /// Record revoked ids in Redis until `until`.
    case recordRevoked([String], until: Double)

    // MARK: Events
    /// A task event for `job`, with its fields: its history record, and the event itself
    /// when `publish` (task events on).
    case taskEvent(TaskEventKind, Job, [String: JSONValue], publish: Bool)
    /// A worker event (`worker-online`, `worker-heartbeat`, `worker-offline`).
    case workerEvent(WorkerEventKind)
    /// Record the worker's status for the monitor.
    case recordStatus(online: Bool)
    /// Print the banner and say the worker is ready.
    case announceReady

    // MARK: Side requests (each answered with an event)
    /// Ask the shared rate limiter for a slot; answered with `.sharedToken`.
    case askSharedToken(job: Int, task: String, interval: Double)
    /// Add a header task's result to its chord; answered with `.chordJoined`.
    case joinChord(ChordJoinRequest)
    /// Read the revoked ids in Redis; answered with `.revokedSynced`.
    case syncRevoked
    /// Deliver a `.tick` after `seconds`.
    case wake(after: Double)
    /// Reply to a remote-control request.
    case reply(ControlRequest, JSONValue)
    /// Flush every queued write; answered with `.writesFlushed`.
    case flushWrites

    // MARK: Lifecycle
    /// The worker is done: end the loop.
    case stop
    /// The worker cannot run: end the loop with this error.
    case abort(String)
    /// A log line.
    case log(Logger.Level, String)
}

/// A claimed delivery and the list it goes back to.
struct Delivery: Equatable {
    let tag: String
    let list: String
}

/// Celery's task event types.
enum TaskEventKind: String {
    case received = "task-received"
    case started = "task-started"
    case succeeded = "task-succeeded"
    case failed = "task-failed"
    case retried = "task-retried"
    case revoked = "task-revoked"
}

/// Celery's worker event types.
enum WorkerEventKind: String {
    case online = "worker-online"
    case heartbeat = "worker-heartbeat"
    case offline = "worker-offline"
}

import FoundationEssentials
import TaskQ

/// Everything that can happen to a worker, as its core sees it: the driver turns each
/// claim, child frame, process exit, timer, control request and side-request answer into
/// one of these and hands it to `SupervisorCore.handle(_:now:)`.
enum SupervisorEvent: Sendable {
    /// Redis answered and the revoked ids recorded there were read: start the pool.
    case started(revoked: [(id: String, expiry: Double)])
    /// The claimer took messages from the queues.
    case claimed([ClaimedMessage])
    /// A child process the core asked for is running.
    case childSpawned(child: Int, pid: Int32)
    /// A child process the core asked for could not be started.
    case childSpawnFailed(child: Int, reason: String)
    /// A child said hello with the tasks its app registered.
    case childHello(child: Int, tasks: [FromChild.RegisteredTaskInfo])
    /// A child finished a job; `residentKiB` is its memory when the worker limits it.
    case childDone(child: Int, job: Int, outcome: JobOutcome, residentKiB: Int?)
    /// A child process ended.
    case childExited(child: Int, status: Int32, signaled: Bool)
    /// The timer: time limits, throttled jobs, heartbeats, shutdown progress.
    case tick
    /// A remote-control command for this worker (`usage` is sampled for `stats`).
    case control(ControlRequest, usage: ProcessUsage?)
    /// The shared rate limiter answered for job `job` of task `task`: a slot (`wait ≤ 0`) or a wait.
    case sharedToken(job: Int, task: String, wait: Double)
    /// The revoked ids currently recorded in Redis.
    case revokedSynced([(id: String, expiry: Double)])
    /// A chord join was answered: with every entry when this part completed the chord, else nil.
    case chordJoined(callback: JSONValue, entries: [JSONValue]?, link: FollowUpLink)
    /// Every write queued before the end is in Redis.
    case writesFlushed
    /// SIGTERM/SIGINT or a remote shutdown: warm first, cold when `cold` is true.
    case shutdownRequested(cold: Bool)
}

/// What the driver measured of its own process, for `inspect stats`.
struct ProcessUsage: Sendable {
    /// The supervisor's pid.
    let pid: Int
    /// `getrusage(RUSAGE_SELF)` as Celery's `rusage` member.
    let rusage: JSONValue
}

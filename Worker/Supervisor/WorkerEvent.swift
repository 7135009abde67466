import TaskQ

/// Everything that can happen to a worker, delivered to its one event loop in order.
enum WorkerEvent: Sendable {
    /// The claimer took messages from the queues.
    case claimed([ClaimedMessage])
    /// A child sent a frame (hello, done).
    case frame(child: Int, JSONValue)
    /// A child process ended.
    case childExited(child: Int, status: Int32, signaled: Bool)
    /// A remote-control command for this worker.
    case control(ControlRequest)
    /// The shared rate limiter answered for a job of task `task`: run now (`wait == 0`) or wait.
    case globalToken(job: Int, task: String, wait: Double)
    /// The revoked ids currently recorded in Redis.
    case revokedSync([(id: String, expiry: Double)])
    /// A chord join this worker sent was answered: with the entries when it completed the
    /// chord (send or fail its callback), `nil` otherwise.
    case chordJoined(callback: JSONValue, entries: [JSONValue]?, link: FollowUpLink)
    /// A timer tick: time limits, rate limits, heartbeats.
    case tick
    /// Every write queued before shutdown is in Redis.
    case writesFlushed
    /// SIGTERM/SIGINT or a remote shutdown: warm first, cold when `cold` is true.
    case shutdown(cold: Bool)
}

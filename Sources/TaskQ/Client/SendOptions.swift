import FoundationEssentials

/// Options for one call, as Celery's `apply_async` takes them.
public struct SendOptions: Sendable {
    /// Run no earlier than this long from now.
    public var countdown: Duration?
    /// Run no earlier than this time.
    public var eta: Date?
    /// Do not run after this time (stored as REVOKED `expired`).
    public var expires: Date?
    /// Do not run after this long from now.
    public var expiresIn: Duration?
    /// The queue to send to; default: the task's queue, then the app's default queue.
    public var queue: String?
    /// Message priority 0...9 (on Redis, lower runs first).
    public var priority: Int?
    /// Use this task id instead of a new UUID.
    public var taskID: String?
    /// Do not store a successful result.
    public var ignoreResult: Bool?
    /// Extra message headers, merged at the top level as Celery does.
    public var headers: [String: JSONValue]
    /// Hard time limit for this call (overrides the task's).
    public var timeLimit: Duration?
    /// Soft time limit for this call (overrides the task's).
    public var softTimeLimit: Duration?
    /// The body's serializer for this call (Celery's `serializer=`); default: the app's format.
    public var serializer: Serializer?
    /// Compress the body (Celery's `compression=`); default: the app's format.
    public var compression: BodyCompression?

    /// Creates options; all default to "not set".
    public init(countdown: Duration? = nil, eta: Date? = nil, expires: Date? = nil, expiresIn: Duration? = nil,
                queue: String? = nil, priority: Int? = nil, taskID: String? = nil, ignoreResult: Bool? = nil,
                headers: [String: JSONValue] = [:], timeLimit: Duration? = nil, softTimeLimit: Duration? = nil,
                serializer: Serializer? = nil, compression: BodyCompression? = nil) {
        self.serializer = serializer
        self.compression = compression
        self.countdown = countdown
        self.eta = eta
        self.expires = expires
        self.expiresIn = expiresIn
        self.queue = queue
        self.priority = priority
        self.taskID = taskID
        self.ignoreResult = ignoreResult
        self.headers = headers
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
    }

    /// The absolute ETA these options ask for, if any.
    var resolvedETA: Date? {
        if let countdown { return Date().addingTimeInterval(countdown.seconds) }
        return eta
    }

    /// The absolute expiry these options ask for, if any.
    var resolvedExpiry: Date? {
        if let expiresIn { return Date().addingTimeInterval(expiresIn.seconds) }
        return expires
    }
}

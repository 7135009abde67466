/// What the worker needs to know of a registered task, as the child's hello frame carries it.
///
/// The child knows the task's `TaskOptions` (closures included); the supervisor, which never
/// links user code, gets these values: limits, retries, routing and acknowledgement.
package struct WorkerTaskOptions: Sendable, Equatable {
    /// Whether the task acks after it finishes; `nil` follows the worker's `--acks-late`.
    package var acksLate: Bool?
    /// Whether a task whose child died is requeued instead of failed (with acks-late).
    package var rejectOnWorkerLost = false
    /// Whether a success stores no result.
    package var ignoreResult = false
    /// Hard time limit in seconds.
    package var timeLimit: Double?
    /// Soft time limit in seconds.
    package var softTimeLimit: Double?
    /// Per-worker rate limit, Celery syntax (`10/s`).
    package var rateLimit: String?
    /// Rate limit shared by every worker.
    package var globalRateLimit: String?
    /// Retries allowed; `nil` is unlimited.
    package var maxRetries: Int?
    /// The task's default queue.
    package var queue: String?

    package init() {}

    /// The values of a task's options.
    package init(_ options: TaskOptions) {
        acksLate = options.acksLate
        rejectOnWorkerLost = options.rejectOnWorkerLost
        ignoreResult = options.ignoreResult
        timeLimit = options.timeLimit?.seconds
        softTimeLimit = options.softTimeLimit?.seconds
        rateLimit = options.rateLimit
        globalRateLimit = options.globalRateLimit
        maxRetries = options.maxRetries
        queue = options.queue
    }

    /// Reads the hello frame's form; members of the wrong type count as absent.
    package init(json: JSONValue) {
        acksLate = json[Key.acksLate]?.boolValue
        rejectOnWorkerLost = json[Key.rejectOnWorkerLost]?.boolValue ?? false
        ignoreResult = json[Key.ignoreResult]?.boolValue ?? false
        timeLimit = json[Key.timeLimit]?.doubleValue
        softTimeLimit = json[Key.softTimeLimit]?.doubleValue
        rateLimit = json[Key.rateLimit]?.stringValue
        globalRateLimit = json[Key.globalRateLimit]?.stringValue
        maxRetries = json[Key.maxRetries]?.intValue
        queue = json[Key.queue]?.stringValue
    }

    /// The hello frame's form: absent values are left out (`maxRetries` is `null` for unlimited).
    package var json: JSONValue {
        var members: [String: JSONValue] = [
            Key.rejectOnWorkerLost: .bool(rejectOnWorkerLost),
            Key.ignoreResult: .bool(ignoreResult),
            Key.maxRetries: maxRetries.map(JSONValue.int) ?? .null,
        ]
        if let acksLate { members[Key.acksLate] = .bool(acksLate) }
        if let timeLimit { members[Key.timeLimit] = .double(timeLimit) }
        if let softTimeLimit { members[Key.softTimeLimit] = .double(softTimeLimit) }
        if let rateLimit { members[Key.rateLimit] = .string(rateLimit) }
        if let globalRateLimit { members[Key.globalRateLimit] = .string(globalRateLimit) }
        if let queue { members[Key.queue] = .string(queue) }
        return .object(members)
    }

    /// The options as `taskq`'s task listing and `inspect registered` show them (set values only).
    package var listing: [(name: String, value: String)] {
        var out: [(String, String)] = []
        if let rateLimit { out.append(("rate_limit", rateLimit)) }
        if let globalRateLimit { out.append(("global_rate_limit", globalRateLimit)) }
        if let timeLimit { out.append(("time_limit", "\(timeLimit)")) }
        if let softTimeLimit { out.append(("soft_time_limit", "\(softTimeLimit)")) }
        if acksLate == true { out.append(("acks_late", "True")) }
        return out
    }

    /// The frame's member names, one place for both ends.
    private enum Key {
        static let acksLate = "acksLate"
        static let rejectOnWorkerLost = "rejectOnWorkerLost"
        static let ignoreResult = "ignoreResult"
        static let timeLimit = "timeLimit"
        static let softTimeLimit = "softTimeLimit"
        static let rateLimit = "rateLimit"
        static let globalRateLimit = "globalRateLimit"
        static let maxRetries = "maxRetries"
        static let queue = "queue"
    }
}

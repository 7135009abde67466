import TaskQ

/// What the worker knows of a registered task, from a child's hello frame.
struct TaskInfo: Sendable {
    let name: String
    /// The options as the child sent them; the rate limit may change by remote control.
    var options: WorkerTaskOptions

    init(name: String, options: WorkerTaskOptions) {
        self.name = name
        self.options = options
    }

    var acksLate: Bool? { options.acksLate }
    var rejectOnWorkerLost: Bool { options.rejectOnWorkerLost }
    var ignoreResult: Bool { options.ignoreResult }
    var timeLimit: Double? { options.timeLimit }
    var softTimeLimit: Double? { options.softTimeLimit }
    var globalRateLimit: String? { options.globalRateLimit }
    var maxRetries: Int? { options.maxRetries }
    var queue: String? { options.queue }
    /// The per-worker rate limit (`rate_limit` control changes it).
    var rateLimit: String? {
        get { options.rateLimit }
        set { options.rateLimit = newValue }
    }

    /// The name with its options, as `celery inspect registered` and the banner show it.
    var listing: String {
        let details = options.listing.map { "\($0.name)=\($0.value)" }
        return details.isEmpty ? name : "\(name) [\(details.joined(separator: " "))]"
    }
}

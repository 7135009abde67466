import TaskQ

/// What the worker knows of a registered task, from a child's hello frame.
struct TaskInfo: Sendable {
    let name: String
    let acksLate: Bool?
    let rejectOnWorkerLost: Bool
    let ignoreResult: Bool
    let timeLimit: Double?
    let softTimeLimit: Double?
    var rateLimit: String?
    let globalRateLimit: String?
    let maxRetries: Int?
    let queue: String?

    init(name: String, options: JSONValue) {
        self.name = name
        acksLate = options["acksLate"]?.boolValue
        rejectOnWorkerLost = options["rejectOnWorkerLost"]?.boolValue ?? false
        ignoreResult = options["ignoreResult"]?.boolValue ?? false
        timeLimit = options["timeLimit"]?.doubleValue
        softTimeLimit = options["softTimeLimit"]?.doubleValue
        rateLimit = options["rateLimit"]?.stringValue
        globalRateLimit = options["globalRateLimit"]?.stringValue
        maxRetries = options["maxRetries"]?.intValue
        queue = options["queue"]?.stringValue
    }

    /// The name with its options, as `celery inspect registered` and the banner show it.
    var listing: String {
        var details: [String] = []
        if let rateLimit { details.append("rate_limit=\(rateLimit)") }
        if let globalRateLimit { details.append("global_rate_limit=\(globalRateLimit)") }
        if let timeLimit { details.append("time_limit=\(timeLimit)") }
        if let softTimeLimit { details.append("soft_time_limit=\(softTimeLimit)") }
        if acksLate == true { details.append("acks_late=True") }
        return details.isEmpty ? name : "\(name) [\(details.joined(separator: " "))]"
    }
}

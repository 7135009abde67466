/// How a job ended in its child, as the `done` frame reports it.
package enum JobOutcome: Sendable, Equatable {
    /// The task returned `result`.
    case success(result: JSONValue)
    /// The task threw (or its soft time limit passed, or it is not registered in the child).
    case failure(exception: ExceptionInfo, traceback: String?)
    /// The task asked to run again after `countdown` seconds (its retry policy allowed it).
    case retry(countdown: Double, exception: ExceptionInfo, traceback: String?)
    /// The worker revoked the job while it waited in the child; it never started.
    case dropped
    /// The task replaced itself with a new canvas under its id (`TaskContext.replace`):
    /// nothing is stored for it and its workflow moved to the replacement.
    case replaced

    /// The members the `done` frame carries besides `type` and `job`.
    var members: [String: JSONValue] {
        switch self {
        case .success(let result):
            return ["outcome": "success", "result": result]
        case .failure(let exception, let traceback):
            return ["outcome": "failure", "exception": exception.json, "traceback": traceback.map(JSONValue.string) ?? .null]
        case .retry(let countdown, let exception, let traceback):
            return ["outcome": "retry", "countdown": .double(countdown), "exception": exception.json,
                    "traceback": traceback.map(JSONValue.string) ?? .null]
        case .dropped:
            return ["outcome": "dropped"]
        case .replaced:
            return ["outcome": "replaced"]
        }
    }

    /// Reads a `done` frame's members. A failure without readable details stays a failure,
    /// so a job is never left without an end; a negative or non-finite countdown is 0.
    init(members frame: JSONValue) {
        let exception = frame["exception"].flatMap(ExceptionInfo.init(json:))
        let traceback = frame["traceback"]?.stringValue
        switch frame["outcome"]?.stringValue {
        case "success":
            self = .success(result: frame["result"] ?? .null)
        case "dropped":
            self = .dropped
        case "replaced":
            self = .replaced
        case "retry":
            let countdown = frame["countdown"]?.doubleValue ?? 0
            self = .retry(countdown: countdown.isFinite ? max(0, countdown) : 0,
                          exception: exception ?? ExceptionInfo(type: "Retry", message: "retry", module: "celery.exceptions"),
                          traceback: traceback)
        default:
            self = .failure(exception: exception ?? ExceptionInfo(type: "Exception", message: "the child reported a failure without details",
                                                                 module: "builtins"),
                            traceback: traceback)
        }
    }
}

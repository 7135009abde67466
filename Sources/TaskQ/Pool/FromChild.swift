/// What a pool child sends its worker.
package enum FromChild: Sendable, Equatable {
    /// The child is ready: its pid, its app's name, the tasks it registered and the periodic
    /// entries its code defines (`ScheduleEntry.json` each; read by `taskq beat`).
    case hello(pid: Int, app: String, tasks: [RegisteredTaskInfo], schedule: [JSONValue] = [])
    /// A job ended.
    case done(job: Int, outcome: JobOutcome)

    /// A task the child can run, and the options the worker needs.
    package struct RegisteredTaskInfo: Sendable, Equatable {
        /// The registered name, e.g. `tasks.add`.
        package var name: String
        /// Its options as the worker sees them.
        package var options: WorkerTaskOptions

        package init(name: String, options: WorkerTaskOptions) {
            self.name = name
            self.options = options
        }
    }

    /// The frame's JSON.
    package var frame: JSONValue {
        switch self {
        case .hello(let pid, let app, let tasks, let schedule):
            return ["type": "hello", "pid": .int(pid), "app": .string(app),
                    "tasks": .array(tasks.map { ["name": .string($0.name), "options": $0.options.json] }),
                    "schedule": .array(schedule)]
        case .done(let job, let outcome):
            var members = outcome.members
            members["type"] = "done"
            members["job"] = .int(job)
            return .object(members)
        }
    }

    /// The frame, length prefix included.
    package var encoded: [UInt8] { Frame.encode(frame) }

    /// Reads a frame from a child; throws for a frame of no known type or without its job number.
    package init(frame: JSONValue) throws {
        switch frame["type"]?.stringValue {
        case "hello":
            let tasks = (frame["tasks"]?.arrayValue ?? []).compactMap { entry -> RegisteredTaskInfo? in
                guard let name = entry["name"]?.stringValue else { return nil }
                return RegisteredTaskInfo(name: name, options: WorkerTaskOptions(json: entry["options"] ?? .object([:])))
            }
            self = .hello(pid: frame["pid"]?.intValue ?? 0, app: frame["app"]?.stringValue ?? "", tasks: tasks,
                          schedule: frame["schedule"]?.arrayValue ?? [])
        case "done":
            guard let job = frame["job"]?.intValue else { throw ProtocolError.malformed("done frame without a job number") }
            self = .done(job: job, outcome: JobOutcome(members: frame))
        default:
            throw ProtocolError.malformed("unknown frame from a child: \(frame.jsonText.prefix(200))")
        }
    }
}

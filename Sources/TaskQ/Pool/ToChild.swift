/// What a worker sends its pool child.
package enum ToChild: Sendable, Equatable {
    /// Run a task (after the ones sent before it).
    case run(RunRequest)
    /// Drop a job that waits in the child, unrun: it is answered `.dropped` when its turn comes.
    case drop(job: Int)
    /// Cancel the running task of a job (an async child's hard time limit or terminate); it
    /// still answers `done` when the task ends.
    case cancel(job: Int)
    /// Finish the jobs held, then exit.
    case shutdown

    /// One job for a child.
    package struct RunRequest: Sendable, Equatable {
        /// The worker's number for the job.
        package var job: Int
        /// The task id.
        package var id: String
        /// The registered task name.
        package var task: String
        /// Positional arguments.
        package var args: [JSONValue]
        /// Keyword arguments.
        package var kwargs: [String: JSONValue]
        /// Retries before this attempt.
        package var retries: Int
        /// The workflow's first task.
        package var rootID: String?
        /// The task that sent this one.
        package var parentID: String?
        /// The soft time limit in seconds, already held to what can be enforced.
        package var softTimeLimit: Double?
        /// The task's place in a workflow (`TaskMessage.workflowPlace`), for `replace` and `addToChord`.
        package var workflow: JSONValue?

        package init(job: Int, id: String, task: String, args: [JSONValue], kwargs: [String: JSONValue], retries: Int,
                     rootID: String?, parentID: String?, softTimeLimit: Double?, workflow: JSONValue? = nil) {
            self.job = job
            self.id = id
            self.task = task
            self.args = args
            self.kwargs = kwargs
            self.retries = retries
            self.rootID = rootID
            self.parentID = parentID
            self.softTimeLimit = softTimeLimit
            self.workflow = workflow
        }
    }

    /// The frame's JSON (a run frame the worker writes with `RunRequest.encode` instead).
    package var frame: JSONValue {
        switch self {
        case .run(let request):
            var members: [String: JSONValue] = [
                "type": "run", "job": .int(request.job), "id": .string(request.id), "task": .string(request.task),
                "args": .array(request.args), "kwargs": .object(request.kwargs), "retries": .int(request.retries),
                "root_id": request.rootID.map(JSONValue.string) ?? .null,
                "parent_id": request.parentID.map(JSONValue.string) ?? .null,
                "soft_time_limit": request.softTimeLimit.map(JSONValue.double) ?? .null]
            if let workflow = request.workflow { members["workflow"] = workflow }
            return .object(members)
        case .drop(let job):
            return ["type": "drop", "job": .int(job)]
        case .cancel(let job):
            return ["type": "cancel", "job": .int(job)]
        case .shutdown:
            return ["type": "shutdown"]
        }
    }

    /// The frame, length prefix included.
    package var encoded: [UInt8] {
        if case .run(let request) = self { return request.encoded }
        return Frame.encode(frame)
    }

    /// Reads a frame from the worker; throws for a frame of no known type or without its fields.
    package init(frame: JSONValue) throws {
        switch frame["type"]?.stringValue {
        case "run":
            guard let job = frame["job"]?.intValue, let task = frame["task"]?.stringValue else {
                throw ProtocolError.malformed("run frame without a job number or task name")
            }
            self = .run(RunRequest(job: job, id: frame["id"]?.stringValue ?? "", task: task,
                                   args: frame["args"]?.arrayValue ?? [], kwargs: frame["kwargs"]?.objectValue ?? [:],
                                   retries: frame["retries"]?.intValue ?? 0, rootID: frame["root_id"]?.stringValue,
                                   parentID: frame["parent_id"]?.stringValue,
                                   softTimeLimit: TimeLimitRange.clamped(frame["soft_time_limit"]?.doubleValue),
                                   workflow: frame["workflow"]))
        case "drop":
            guard let job = frame["job"]?.intValue else { throw ProtocolError.malformed("drop frame without a job number") }
            self = .drop(job: job)
        case "cancel":
            guard let job = frame["job"]?.intValue else { throw ProtocolError.malformed("cancel frame without a job number") }
            self = .cancel(job: job)
        case "shutdown":
            self = .shutdown
        default:
            throw ProtocolError.malformed("unknown frame from the worker: \(frame.jsonText.prefix(200))")
        }
    }
}

extension ToChild.RunRequest {
    /// The run frame for job `number` running `message`, written straight to bytes: one is
    /// written per task, so it skips building a dictionary only to serialise it. Reads back
    /// as `ToChild.run` with the same values (a test holds them equal).
    package static func encode(job number: Int, message: TaskMessage, softTimeLimit: Double?) -> [UInt8] {
        Frame.encode { out in
            out.append(contentsOf: #"{"type":"run","job":"#.utf8)
            out.append(contentsOf: String(number).utf8)
            out.append(contentsOf: #","id":"#.utf8)
            JSONValue.string(message.id).write(to: &out)
            out.append(contentsOf: #","task":"#.utf8)
            JSONValue.string(message.name).write(to: &out)
            out.append(contentsOf: #","args":"#.utf8)
            JSONValue.array(message.args).write(to: &out)
            out.append(contentsOf: #","kwargs":"#.utf8)
            JSONValue.object(message.kwargs).write(to: &out)
            out.append(contentsOf: #","retries":"#.utf8)
            out.append(contentsOf: String(message.retries).utf8)
            out.append(contentsOf: #","root_id":"#.utf8)
            (message.rootID.map(JSONValue.string) ?? .null).write(to: &out)
            out.append(contentsOf: #","parent_id":"#.utf8)
            (message.parentID.map(JSONValue.string) ?? .null).write(to: &out)
            out.append(contentsOf: #","soft_time_limit":"#.utf8)
            (softTimeLimit.map(JSONValue.double) ?? .null).write(to: &out)
            if let workflow = message.workflowPlace {
                out.append(contentsOf: #","workflow":"#.utf8)
                workflow.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// This request's frame bytes.
    package var encoded: [UInt8] { Frame.encode(ToChild.run(self).frame) }
}

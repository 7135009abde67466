import FoundationEssentials
import Logging

/// A TaskQ application: its tasks, its broker and its result backend.
///
/// ```swift
/// let app = App("tasks", broker: "redis://localhost:6379/0")
/// let add = app.task("tasks.add", parameters: ["x", "y"]) { (x: Int, y: Int) in x + y }
/// try await app.run()
/// ```
public final class App: Sendable {
    /// The app's name, used as the module of errors its tasks throw.
    public let name: String
    /// The broker URL as given (or from `TASKQ_BROKER_URL`).
    public let brokerURLString: String
    /// The result backend URL as given (or from `TASKQ_RESULT_BACKEND`, else the broker).
    public let backendURLString: String
    /// The queue used when neither the call nor the task names one.
    public let defaultQueue: String
    /// The app's logger.
    public let logger: Logger
    /// How long results are kept in Redis, in seconds (Celery's `result_expires`).
    public let resultExpiry: Int
    /// Which queue each task goes to (Celery's `task_routes`).
    public let routes: TaskRoutes
    /// How messages are written: serializer, compression, signing (Celery's `task_serializer`,
    /// `task_compression`, and `security_key`/`security_certificate` with `auth`).
    public let format: MessageFormat

    package let registry = TaskRegistry()
    /// The periodic entries defined in code (`schedule`).
    package let schedules = ScheduleRegistry()
    let connections: AppConnections

    /// Creates an app. URLs default to `TASKQ_BROKER_URL` / `TASKQ_RESULT_BACKEND`, then `redis://127.0.0.1:6379/0`.
    /// `routes` send tasks to queues by name, pattern or function (see `TaskRoutes`).
    public init(_ name: String, broker: String? = nil, backend: String? = nil, defaultQueue: String = "celery",
                resultExpiry: Int = 86_400, routes: TaskRoutes = TaskRoutes(), format: MessageFormat = .json,
                logger: Logger? = nil) {
        let environment = ProcessInfo.processInfo.environment
        self.name = name
        self.brokerURLString = broker ?? environment["TASKQ_BROKER_URL"] ?? "redis://127.0.0.1:6379/0"
        self.backendURLString = backend ?? environment["TASKQ_RESULT_BACKEND"] ?? brokerURLString
        self.defaultQueue = defaultQueue
        self.resultExpiry = resultExpiry
        self.routes = routes
        self.format = format
        self.logger = logger ?? Logger(label: "taskq.\(name)")
        self.connections = AppConnections(brokerURL: brokerURLString, backendURL: backendURLString, logger: self.logger)
        CanvasBuiltins.register(in: self)
    }

    /// Registers a typed task and returns its handle.
    ///
    /// `parameters` names the arguments so that keyword arguments (from Python
    /// clients or `sendTask(kwargs:)`) bind to them.
    @discardableResult
    public func task<each Argument: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String, options: TaskOptions = TaskOptions(), parameters: [String]? = nil,
        _ body: @escaping @Sendable (repeat each Argument) async throws -> Output
    ) -> TaskDefinition<repeat each Argument, Output> {
        registry.register(RegisteredTask(name: name, options: options, parameterNames: parameters) { call in
            let cursor = ArgumentCursor(call: call, taskName: name, parameterNames: parameters)
            let output = try await Self.invoke(body, cursor: cursor, arguments: repeat (each Argument).self)
            return try JSONValue(encoding: output)
        })
        return TaskDefinition(name: name, options: options, app: self)
    }

    private static func invoke<each Argument: Decodable, Output>(
        _ body: @Sendable (repeat each Argument) async throws -> Output, cursor: ArgumentCursor,
        arguments: repeat (each Argument).Type
    ) async throws -> Output {
        let values = (repeat try cursor.next(each arguments))
        try cursor.finish()
        return try await body(repeat each values)
    }

    /// Registers a task that takes its arguments untyped (for `**kwargs`-style tasks).
    @discardableResult
    public func rawTask(_ name: String, options: TaskOptions = TaskOptions(),
                        _ body: @escaping @Sendable (TaskCall) async throws -> JSONValue) -> RawTaskDefinition {
        registry.register(RegisteredTask(name: name, options: options, parameterNames: nil, run: body))
        return RawTaskDefinition(name: name, options: options, app: self)
    }

    /// Sends a task by name, registered here or not (a Python task, say), like Celery's `send_task`.
    public func sendTask(_ name: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
                         options: SendOptions = SendOptions()) async throws -> AsyncResult<JSONValue> {
        let id = try await send(name: name, args: args, kwargs: kwargs, options: options,
                                taskOptions: registry.task(named: name)?.options)
        return AsyncResult(id: id, app: self)
    }

    /// Sends many calls in one pipelined round trip and returns their ids in order.
    public func sendBatch(_ calls: [BatchCall]) async throws -> [String] {
        let origin = Self.origin
        var commands: [RedisCommand] = []
        var ids: [String] = []
        commands.reserveCapacity(calls.count)
        for call in calls {
            let outgoing = try outgoingMessage(name: call.name, args: call.args, kwargs: call.kwargs, options: call.options,
                                           taskOptions: call.taskOptions ?? registry.task(named: call.name)?.options, origin: origin)
            ids.append(outgoing.id)
            commands.append(RedisCommand("LPUSH", outgoing.list, outgoing.envelope))
        }
        do {
            let replies = try await connections.broker().pipeline(commands)
            if let failure = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
                throw TaskQError.broker("Redis refused a publish: \(failure)")
            }
        } catch {
            throw TaskQError.wrapping(error)
        }
        return ids
    }

    /// A handle on a task's result by id.
    public func asyncResult<Output: Decodable & Sendable>(_ id: String, as type: Output.Type = JSONValue.self) -> AsyncResult<Output> {
        AsyncResult(id: id, app: self)
    }

    /// The name this process signs its messages with: `gen<pid>@<host>`.
    package static var origin: String { cachedOrigin }

    /// Worked out once: looking up the host name costs more than publishing a message.
    private static let cachedOrigin = "gen\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"

    /// A new message's id, target list and envelope bytes.
    func outgoingMessage(name: String, args: [JSONValue], kwargs: [String: JSONValue], options: SendOptions,
                         taskOptions: TaskOptions?, origin: String) throws -> (id: String, list: String, envelope: [UInt8]) {
        var fields = EnvelopeWriter.Fields(
            name: name, id: options.taskID ?? TaskID.make(), deliveryTag: TaskID.make(), args: args, kwargs: kwargs,
            queue: queue(for: name, args: args, kwargs: kwargs, options: options, taskOptions: taskOptions), origin: origin)
        fields.priority = options.priority ?? taskOptions?.priority ?? 0
        fields.eta = options.resolvedETA
        fields.expires = options.resolvedExpiry
        fields.timeLimits = ((options.timeLimit ?? taskOptions?.timeLimit)?.seconds,
                             (options.softTimeLimit ?? taskOptions?.softTimeLimit)?.seconds)
        fields.ignoreResult = options.ignoreResult ?? taskOptions?.ignoreResult ?? false
        fields.extraHeaders = options.headers
        fields.format = format.overriding(serializer: options.serializer, compression: options.compression)
        let envelope: [UInt8]
        do {
            envelope = try EnvelopeWriter.envelope(fields)
        } catch {
            throw TaskQError.wrapping(error)
        }
        return (fields.id, CeleryKeys.queueList(fields.queue, priority: fields.priority), envelope)
    }

    /// The queue a message goes to: the call's, else the routes', else the task's, else the app's default.
    func queue(for name: String, args: [JSONValue], kwargs: [String: JSONValue], options: SendOptions,
               taskOptions: TaskOptions?) -> String {
        if let queue = options.queue { return queue }
        if !routes.rules.isEmpty, let queue = routes.queue(for: name, args: args, kwargs: kwargs) { return queue }
        return taskOptions?.queue ?? defaultQueue
    }

    /// Publishes one message and returns its task id.
    func send(name: String, args: [JSONValue], kwargs: [String: JSONValue], options: SendOptions,
              taskOptions: TaskOptions?) async throws -> String {
        let outgoing = try outgoingMessage(name: name, args: args, kwargs: kwargs, options: options,
                                       taskOptions: taskOptions, origin: Self.origin)
        do {
            try await connections.broker().command(RedisCommand("LPUSH", outgoing.list, outgoing.envelope))
        } catch {
            throw TaskQError.wrapping(error)
        }
        return outgoing.id
    }

    /// LPUSHes a message onto its queue's list.
    package func publish(_ message: TaskMessage) async throws {
        do {
            try await connections.broker().command(RedisCommand("LPUSH", message.targetList(fallbackQueue: defaultQueue),
                                                                try message.envelope(format: format)))
        } catch {
            throw TaskQError.wrapping(error)
        }
    }
}

/// The handle of a task registered with `App.rawTask`.
public struct RawTaskDefinition: Sendable {
    /// The task name.
    public let name: String
    /// The task's options.
    public let options: TaskOptions
    let app: App

    /// Sends the task with untyped arguments.
    public func applyAsync(args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
                           options: SendOptions = SendOptions()) async throws -> AsyncResult<JSONValue> {
        let id = try await app.send(name: name, args: args, kwargs: kwargs, options: options, taskOptions: self.options)
        return AsyncResult(id: id, app: app)
    }
}

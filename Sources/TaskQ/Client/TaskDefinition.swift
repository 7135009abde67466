import FoundationEssentials

/// A registered task with typed arguments and result; send it with `delay` or `applyAsync`.
public struct TaskDefinition<each Argument: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The task name, e.g. `tasks.add`.
    public let name: String
    /// The task's options.
    public let options: TaskOptions
    let app: App

    /// Sends the task with these arguments, like Celery's `delay`.
    public func delay(_ argument: repeat each Argument) async throws -> AsyncResult<Output> {
        try await applyAsync(repeat each argument, options: SendOptions())
    }

    /// Sends the task with these arguments and call options, like Celery's `apply_async`.
    public func applyAsync(_ argument: repeat each Argument, options: SendOptions) async throws -> AsyncResult<Output> {
        var args: [JSONValue] = []
        for value in repeat each argument {
            args.append(try JSONValue(encoding: value))
        }
        let id = try await app.send(name: name, args: args, kwargs: [:], options: options, taskOptions: self.options)
        return AsyncResult(id: id, app: app)
    }

    /// The encoded arguments of one call, for batch sending with `App.sendBatch`.
    public func call(_ argument: repeat each Argument, options: SendOptions = SendOptions()) throws -> BatchCall {
        var args: [JSONValue] = []
        for value in repeat each argument {
            args.append(try JSONValue(encoding: value))
        }
        return BatchCall(name: name, args: args, kwargs: [:], options: options, taskOptions: self.options)
    }
}

/// One prepared call in a batch sent with one pipelined round trip.
public struct BatchCall: Sendable {
    let name: String
    let args: [JSONValue]
    let kwargs: [String: JSONValue]
    let options: SendOptions
    let taskOptions: TaskOptions?

    /// A call by name with untyped arguments.
    public init(name: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:], options: SendOptions = SendOptions()) {
        self.init(name: name, args: args, kwargs: kwargs, options: options, taskOptions: nil)
    }

    init(name: String, args: [JSONValue], kwargs: [String: JSONValue], options: SendOptions, taskOptions: TaskOptions?) {
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.options = options
        self.taskOptions = taskOptions
    }
}

import FoundationEssentials

/// One task call to be made later, like Celery's `Signature`: a task, its arguments and
/// its call options. Build it with `add.s(2, 3)` (or `.si` to ignore a parent's result, or
/// with the first argument left out to take it from the parent), then send it, or put it in
/// a chain, group or chord.
///
/// ```swift
/// let sum = try await add.s(2, 3).delay()
/// let next = mul.s(10)              // takes its first argument from the step before
/// ```
public struct Signature<Output: Codable & Sendable>: Canvas {
    public let anyCanvas: AnyCanvas

    init(anyCanvas: AnyCanvas) {
        self.anyCanvas = anyCanvas
    }

    /// The task name.
    public var name: String { anyCanvas.label }
    /// Celery's dict form: `task`, `args`, `kwargs`, `options`, `subtask_type`, `immutable`.
    public var dict: JSONValue { anyCanvas.dict }
    /// Whether the signature ignores a parent's result (`.si`).
    public var isImmutable: Bool { dict["immutable"]?.boolValue ?? false }
    /// The id the task will run under, once set with `options(taskID:)` or frozen.
    public var taskID: String? { CanvasDict.options(of: dict)["task_id"]?.stringValue }

    /// The same signature with call options set (Celery's `.set(...)`); options not given are kept.
    public func options(_ options: SendOptions) -> Signature {
        var dict = self.dict
        for (key, value) in options.signatureOptions() { dict = CanvasDict.setting(key, value, in: dict) }
        return Signature(anyCanvas: anyCanvas.with(dict: dict))
    }

    /// The same signature with call options set, by name.
    public func options(queue: String? = nil, countdown: Duration? = nil, eta: Date? = nil, expiresIn: Duration? = nil,
                        priority: Int? = nil, taskID: String? = nil, timeLimit: Duration? = nil,
                        softTimeLimit: Duration? = nil, ignoreResult: Bool? = nil) -> Signature {
        options(SendOptions(countdown: countdown, eta: eta, expiresIn: expiresIn, queue: queue, priority: priority,
                            taskID: taskID, ignoreResult: ignoreResult, timeLimit: timeLimit, softTimeLimit: softTimeLimit))
    }

    /// Adds a callback run with this task's result when it succeeds (Celery's `link`).
    public func link(_ callback: some Canvas) -> Signature {
        Signature(anyCanvas: anyCanvas.with(dict: CanvasDict.appending(callback.anyCanvas.dict, to: "link", in: dict)))
    }

    /// Adds an errback run with this task's id when it fails (Celery's `link_error` / `on_error`).
    public func linkError(_ errback: some Canvas) -> Signature {
        Signature(anyCanvas: anyCanvas.with(dict: CanvasDict.appending(errback.anyCanvas.dict, to: "link_error", in: dict)))
    }

    /// The same signature, ignoring a parent's result (Celery's `.set(immutable=True)`).
    public func immutable() -> Signature {
        let changed = anyCanvas.with(dict: CanvasDict.replacing("immutable", with: true, in: dict))
        return Signature(anyCanvas: AnyCanvas(dict: changed.dict, app: changed.app,
                                              receivers: [.init(task: name, takes: .nothing)], output: changed.output))
    }

    /// Sends the task, like Celery's `sig.delay()`.
    public func delay() async throws -> AsyncResult<Output> {
        try await applyAsync()
    }

    /// Sends the task with more call options, like Celery's `sig.apply_async(**options)`.
    public func applyAsync(_ options: SendOptions = SendOptions()) async throws -> AsyncResult<Output> {
        let result = try await anyCanvas.app.apply(self.options(options).anyCanvas)
        return AsyncResult(node: result, app: anyCanvas.app)
    }
}

extension SendOptions {
    /// These options as a signature's `options` members, as Celery names them.
    func signatureOptions() -> [String: JSONValue] {
        var options: [String: JSONValue] = [:]
        if let countdown { options["countdown"] = .double(countdown.seconds) }
        if let eta { options["eta"] = .string(CeleryTime.format(eta)) }
        if let expiresIn { options["expires"] = .double(expiresIn.seconds) }
        if let expires { options["expires"] = .string(CeleryTime.format(expires)) }
        if let queue { options["queue"] = .string(queue) }
        if let priority { options["priority"] = .int(priority) }
        if let taskID { options["task_id"] = .string(taskID) }
        if let ignoreResult { options["ignore_result"] = .bool(ignoreResult) }
        if let timeLimit { options["time_limit"] = .double(timeLimit.seconds) }
        if let softTimeLimit { options["soft_time_limit"] = .double(softTimeLimit.seconds) }
        if !headers.isEmpty { options["headers"] = .object(headers) }
        return options
    }
}

import FoundationEssentials

/// A handle on a task's result, like Celery's `AsyncResult`.
public struct AsyncResult<Output: Decodable & Sendable>: Sendable {
    /// The task id.
    public let id: String
    let app: App
    /// Where the task sits in the workflow the client sent (its parents).
    let node: ResultNode

    init(id: String, app: App) {
        self.init(node: .task(id: id, parent: nil), app: app)
    }

    init(node: ResultNode, app: App) {
        self.id = node.id
        self.node = node
        self.app = app
    }

    /// The current state; PENDING when nothing is stored.
    public var state: TaskState {
        get async throws { try await app.fetchRecord(id)?.status ?? .pending }
    }

    /// Whether the task has finished (SUCCESS, FAILURE or REVOKED).
    public func ready() async throws -> Bool { try await state.isReady }

    /// Whether the task succeeded.
    public func successful() async throws -> Bool { try await state == .success }

    /// Whether the task failed or was revoked.
    public func failed() async throws -> Bool { try await state.propagates }

    /// The stored result as JSON: the value, the exception record, or `nil` while pending.
    public var result: JSONValue? {
        get async throws { try await app.fetchRecord(id)?.result }
    }

    /// The stored traceback of a failed task.
    public var traceback: String? {
        get async throws { try await app.fetchRecord(id)?.traceback }
    }

    /// Waits for the task to finish and returns its value; a failure is thrown as `TaskFailure`.
    ///
    /// Waiting is SUBSCRIBE-then-GET on the result channel, as Celery's client does: no polling.
    public func get(timeout: Duration? = nil) async throws -> Output {
        switch try await get(timeout: timeout, propagate: false) {
        case .success(let value): return value
        case .failure(let failure): throw failure
        }
    }

    /// Waits for the task to finish; with `propagate: false` a failure comes back as a value.
    public func get(timeout: Duration? = nil, propagate: Bool) async throws -> TaskOutcome<Output> {
        let record = try await app.waitForRecord(id, timeout: timeout)
        if record.status == .success {
            do {
                return .success(try ArgumentCursor.decode(record.result, as: Output.self))
            } catch {
                throw TaskQError.decoding("result of task \(id) is \(PythonRepr.truncated(PythonRepr.of(record.result), limit: 120)), which does not decode as \(Output.self)")
            }
        }
        let failure = TaskFailure(
            taskID: id, state: record.status,
            exception: record.exception ?? ExceptionInfo(type: "Exception", message: PythonRepr.of(record.result), module: "builtins"),
            traceback: record.traceback)
        if propagate { throw failure }
        return .failure(failure)
    }

    /// Deletes the stored result.
    public func forget() async throws {
        do {
            try await app.connections.backend().command(RedisCommand("DEL", CeleryKeys.result(id)))
        } catch {
            throw TaskQError.wrapping(error)
        }
    }
}

extension App {
    /// The longest a read waits for a restarted Redis to finish loading its dataset.
    static let loadingWait = Duration.seconds(30)

    /// Reads a task's stored record, or `nil` when there is none (PENDING). While a restarted
    /// Redis answers `LOADING`, the read is tried again every 50 ms (for up to `loadingWait`).
    package func fetchRecord(_ id: String) async throws -> ResultRecord? {
        let reply: RedisReply
        let clock = ContinuousClock()
        let deadline = clock.now + Self.loadingWait
        while true {
            do {
                reply = try await connections.backend().command(RedisCommand("GET", CeleryKeys.result(id)))
                break
            } catch let error as RedisError where error.isLoading && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                throw TaskQError.wrapping(error)
            }
        }
        guard let bytes = reply.bytes else { return nil }
        do {
            return try ResultRecord(bytes: bytes)
        } catch {
            throw TaskQError.protocolViolation("result record of task \(id) is unreadable: \(error)")
        }
    }

    /// Waits until the task's record is in a ready state.
    ///
    /// The subscriber's thread reads the key once the channel is confirmed and looks at
    /// each message itself, so the waiting task is resumed once, with a ready record
    /// (or to read the key itself when the subscriber could not).
    package func waitForRecord(_ id: String, timeout: Duration?) async throws -> ResultRecord {
        let subscriber = try connections.subscriber()
        let (events, continuation) = AsyncStream<ResultWake>.makeStream()
        let key = CeleryKeys.result(id)
        let token = subscriber.subscribe(key, readKey: key, timeLimit: timeout) { event in
            switch event {
            case .subscribed:
                continuation.yield(.readYourself)
            case .current(let value):
                guard let value else { return }
                if let record = try? ResultRecord(bytes: value) {
                    if record.status.isReady { continuation.yield(.ready(record)) }
                } else {
                    continuation.yield(.readYourself)   // unreadable: the waiter's own read reports it
                }
            case .message(_, let payload):
                if let record = try? ResultRecord(bytes: payload), record.status.isReady { continuation.yield(.ready(record)) }
            case .expired:
                continuation.yield(.timedOut)
            }
        }
        defer {
            subscriber.unsubscribe(token)
            continuation.finish()
        }
        for await wake in events {
            switch wake {
            case .readYourself:
                if let record = try await fetchRecord(id), record.status.isReady { return record }
            case .ready(let record):
                return record
            case .timedOut:
                throw TaskQError.timeout("no result for task \(id) within \((timeout ?? .zero).seconds) s; is a worker running and consuming its queue?")
            }
        }
        throw CancellationError()
    }
}

/// Why a result waiter is resumed.
private enum ResultWake: Sendable {
    /// The record is in a ready state.
    case ready(ResultRecord)
    /// The subscription is confirmed but the subscriber could not read the key.
    case readYourself
    /// The time limit passed.
    case timedOut
}

import FoundationEssentials

extension App {
    /// A signature of a task by name, registered here or not (a Python task, say): untyped,
    /// its result JSON. Celery's `app.signature(name, args, kwargs)`.
    public func signature(_ name: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
                          immutable: Bool = false) -> Signature<JSONValue> {
        Signature(anyCanvas: AnyCanvas(
            dict: CanvasDict.task(name, args: args, kwargs: kwargs, options: [:], immutable: immutable), app: self,
            receivers: [.init(task: name, takes: immutable ? .nothing : .anything)], output: .of(JSONValue.self)))
    }

    /// A signature from Celery's dict form, as another client or a task produced it.
    public func signature(dict: JSONValue) throws -> Signature<JSONValue> {
        guard CanvasDict.kind(of: dict) != nil else {
            throw TaskQError.workflow("\(PythonRepr.truncated(dict.jsonText, limit: 120)) is not a signature: it has no 'task' name")
        }
        return Signature(anyCanvas: AnyCanvas(dict: dict, app: self, receivers: [.init(task: dict["task"]?.stringValue ?? "?", takes: .anything)],
                                              output: .of(JSONValue.self)))
    }

    /// Sends a canvas: stores its chords' header sizes, then publishes its first messages
    /// in one pipelined round trip. Throws `TaskQError.workflow` for a canvas built wrong.
    package func apply(_ canvas: AnyCanvas, placement: CanvasPlanner.Placement = CanvasPlanner.Placement()) async throws -> ResultNode {
        if !canvas.problems.isEmpty {
            throw TaskQError.workflow(canvas.problems.joined(separator: "; "))
        }
        var planner = CanvasPlanner(settings: canvasSettings)
        let result = planner.apply(canvas.dict, placement: placement)
        try await send(planner)
        return result
    }

    /// How this app's messages are addressed when a canvas is planned.
    package var canvasSettings: CanvasPlanner.Settings {
        CanvasPlanner.Settings(
            origin: Self.origin,
            queue: { [self] name, args, kwargs in
                queue(for: name, args: args, kwargs: kwargs, options: SendOptions(), taskOptions: registry.task(named: name)?.options)
            },
            taskOptions: { [self] name in registry.task(named: name)?.options },
            replyTo: Self.replyTo)
    }

    /// This process's `reply_to` on workflow messages (Celery's app oid: one id per process).
    static let replyTo = TaskID.make()

    /// Writes a planned canvas: chord sizes first (a header task may finish at once), then the messages.
    package func send(_ planner: CanvasPlanner) async throws {
        do {
            if !planner.chordSizes.isEmpty {
                let commands = planner.chordSizes.flatMap { $0.commands(expiry: resultExpiry) }
                try Self.requireSuccess(try await connections.backend().pipeline(commands))
            }
            let publishes = planner.publishes.map { RedisCommand("LPUSH", $0.list, $0.message.envelope()) }
            if !publishes.isEmpty { try Self.requireSuccess(try await connections.broker().pipeline(publishes)) }
        } catch let error as TaskQError {
            throw error
        } catch {
            throw TaskQError.wrapping(error)
        }
    }

    private static func requireSuccess(_ replies: [RedisReply]) throws {
        if let failure = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
            throw TaskQError.broker("Redis refused a workflow write: \(failure)")
        }
    }
}

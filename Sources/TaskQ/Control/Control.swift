import FoundationEssentials

/// Remote control of workers, like Celery's `app.control`: revoke, rate limits, inspect.
///
/// Speaks Celery's pidbox, so it reaches Python Celery workers too.
public struct Control: Sendable {
    let app: App

    /// Revokes a task: it will not run; with `terminate`, a running task's child is killed.
    ///
    /// The revocation is kept in Redis for 3 hours (Celery's default), so workers
    /// started later honour it as well. A task still waiting gets REVOKED stored
    /// at once, as Celery 5.7 does.
    public func revoke(_ taskID: String, terminate: Bool = false, signal: String = "SIGTERM") async throws {
        try await revoke([taskID], terminate: terminate, signal: signal)
    }

    /// Revokes many tasks with one broadcast (a group's members, say), as Celery's
    /// `revoke([...])` does.
    public func revoke(_ taskIDs: [String], terminate: Bool = false, signal: String = "SIGTERM") async throws {
        guard !taskIDs.isEmpty else { return }
        do {
            let broker = try app.connections.broker()
            let now = Date().timeIntervalSince1970
            var add: [any RedisArgument] = [CeleryKeys.revoked]
            for id in taskIDs { add += [now + 3 * 3600, id] }
            _ = try await broker.pipeline([
                RedisCommand("ZADD", arguments: add),
                RedisCommand("ZREMRANGEBYSCORE", CeleryKeys.revoked, "-inf", now),
            ])
            let current = try await app.fetchRecords(taskIDs)
            var writes: [RedisCommand] = []
            for (id, record) in zip(taskIDs, current) {
                // Finished or running: only the broadcast (terminate) can still act.
                if let status = record?.status, status.isReady || status == .started { continue }
                let json = ResultRecord(taskID: id, status: .revoked, exception: .revoked(terminate ? "terminated" : "revoked"),
                                        traceback: nil, dateDone: Date()).serialized()
                writes.append(RedisCommand("SET", CeleryKeys.result(id), json, "EX", app.resultExpiry))
                writes.append(RedisCommand("PUBLISH", CeleryKeys.result(id), json))
            }
            if !writes.isEmpty { _ = try await app.connections.backend().pipeline(writes) }
        } catch {
            throw TaskQError.wrapping(error)
        }
        let ids: JSONValue = taskIDs.count == 1 ? .string(taskIDs[0]) : .array(taskIDs.map(JSONValue.string))
        _ = try await broadcast("revoke", arguments: ["task_id": ids, "terminate": .bool(terminate), "signal": .string(signal)])
    }

    /// Sets a task's rate limit on the workers (`"10/s"`; `nil` removes it).
    @discardableResult
    public func rateLimit(_ taskName: String, _ rate: String?, destination: [String]? = nil) async throws -> [String: JSONValue] {
        try await broadcast("rate_limit", arguments: ["task_name": .string(taskName), "rate_limit": rate.map(JSONValue.string) ?? .null],
                            destination: destination, reply: true)
    }

    /// Asks workers to shut down (warm).
    public func shutdown(destination: [String]? = nil) async throws {
        _ = try await broadcast("shutdown", destination: destination)
    }

    /// Asks every worker (or `destination`) and collects `{node: reply}` for `timeout` seconds.
    public func inspect(_ method: String, arguments: [String: JSONValue] = [:], destination: [String]? = nil,
                        timeout: Double = 1) async throws -> [String: JSONValue] {
        try await broadcast(method, arguments: arguments, destination: destination, reply: true, timeout: timeout)
    }

    /// Publishes a control command; with `reply`, waits up to `timeout` s for replies (fewer
    /// when every destination has answered) and returns them by node name.
    public func broadcast(_ method: String, arguments: [String: JSONValue] = [:], destination: [String]? = nil,
                          reply: Bool = false, timeout: Double = 1) async throws -> [String: JSONValue] {
        let url = try RedisURL(app.brokerURLString)
        let clientID = TaskID.make()
        let ticket = TaskID.make()
        let channel = CeleryKeys.pidboxChannel(database: url.database)
        let envelope = ControlEnvelope.request(method: method, arguments: arguments, destination: destination,
                                               replyTo: reply ? clientID : nil, ticket: reply ? ticket : nil, timeout: timeout)
        let broker: RedisClient
        do { broker = try app.connections.broker() } catch { throw TaskQError.wrapping(error) }
        guard reply else {
            do { try await broker.command(RedisCommand("PUBLISH", channel, envelope)) } catch { throw TaskQError.wrapping(error) }
            return [:]
        }
        let (queue, binding) = ControlEnvelope.replyQueue(for: clientID)
        let bindingKey = "_kombu.binding.\(ControlEnvelope.replyExchange)"
        let expected = destination?.count
        // A connection of its own: the BRPOP loop must not hold up the app's broker client.
        let waiter = RedisClient(url: url, name: "taskq.control")
        defer { Task { await waiter.shutdown() } }
        do {
            try await waiter.withConnection { connection in
                try connection.command(RedisCommand("SADD", bindingKey, binding))
                try connection.command(RedisCommand("PUBLISH", channel, envelope))
            }
            let deadline = Date().addingTimeInterval(timeout)
            var replies: [String: JSONValue] = [:]
            while Date() < deadline {
                if let expected, replies.count >= expected { break }
                let wait = max(0.01, min(1, deadline.timeIntervalSinceNow))
                let popped = try await waiter.command(RedisCommand("BRPOP", queue, String((wait * 1000).rounded() / 1000)))
                guard let payload = popped.array?[safe: 1]?.bytes,
                      let opened = try? ControlEnvelope.open(payload),
                      opened.headers["ticket"]?.stringValue == ticket,
                      let members = opened.body.objectValue else { continue }
                replies.merge(members) { _, new in new }
            }
            _ = try await waiter.pipeline([RedisCommand("DEL", queue), RedisCommand("SREM", bindingKey, binding)])
            return replies
        } catch {
            throw TaskQError.wrapping(error)
        }
    }
}

extension App {
    /// Remote control of workers (revoke, rate limits, shutdown, inspect).
    public var control: Control { Control(app: self) }
}

extension AsyncResult {
    /// Revokes this task, like Celery's `AsyncResult.revoke()`.
    public func revoke(terminate: Bool = false, signal: String = "SIGTERM") async throws {
        try await app.control.revoke(id, terminate: terminate, signal: signal)
    }
}

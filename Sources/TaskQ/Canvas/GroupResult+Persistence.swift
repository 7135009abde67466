import FoundationEssentials

/// Saving a group's result ids under the group id, in Celery's `celery-taskset-meta-<id>`
/// record, so another process (Python's `GroupResult.restore` too) can read them back.
extension GroupResult {
    /// Stores the group's member ids (Celery's `GroupResult.save()`), for as long as results are kept.
    public func save() async throws {
        let record = JSONValue.object(["result": node.withParent(nil).asTuple]).serialized()
        let key = Self.key(id)
        do {
            let expiry = app.resultExpiry
            let write = expiry > 0 ? RedisCommand("SET", key, record, "EX", expiry) : RedisCommand("SET", key, record)
            _ = try await app.connections.backend().pipeline([write, RedisCommand("PUBLISH", key, record)])
        } catch {
            throw TaskQError.wrapping(error)
        }
    }

    /// Removes the saved record and every member's result (Celery's `GroupResult.forget()`).
    public func forget() async throws {
        do {
            _ = try await app.connections.backend().command(RedisCommand("DEL", arguments: [Self.key(id)] + results.map { CeleryKeys.result($0.id) }))
        } catch {
            throw TaskQError.wrapping(error)
        }
    }

    static func key(_ id: String) -> String { CeleryKeys.groupMeta(id) }
}

extension App {
    /// A group saved with `save()` (here or by Celery), or `nil` when none is stored under `id`
    /// (Celery's `GroupResult.restore(id)`).
    public func restoreGroup<Member: Decodable & Sendable>(_ id: String, as type: Member.Type = JSONValue.self) async throws -> GroupResult<Member>? {
        let reply: RedisReply
        do {
            reply = try await connections.backend().command(RedisCommand("GET", GroupResult<Member>.key(id)))
        } catch {
            throw TaskQError.wrapping(error)
        }
        guard let bytes = reply.bytes else { return nil }
        let stored: JSONValue
        do { stored = try JSONValue.parse(bytes) } catch {
            throw TaskQError.protocolViolation("saved group \(id) is not JSON: \(error)")
        }
        guard let tuple = stored["result"], let node = ResultNode(tuple: tuple), case .group = node else {
            throw TaskQError.protocolViolation("saved group \(id) is not a group's as_tuple record: \(PythonRepr.truncated(stored.jsonText, limit: 120))")
        }
        return GroupResult(node: node, app: self)
    }
}

import FoundationEssentials

/// The results of a group, in member order, like Celery's `GroupResult`.
///
/// ```swift
/// let sums = try await group((0..<10).map { add.s($0, $0) }).delay()
/// let values = try await sums.get(timeout: .seconds(30))   // [0, 2, 4, ...]
/// ```
public struct GroupResult<Member: Decodable & Sendable>: Sendable {
    /// The group id.
    public let id: String
    /// The members' results, in order.
    public let results: [AsyncResult<Member>]
    let node: ResultNode
    let app: App

    init(node: ResultNode, app: App) {
        self.node = node
        self.app = app
        id = node.id
        if case .group(_, let members, _) = node {
            results = members.map { AsyncResult(node: $0, app: app) }
        } else {
            results = []
        }
    }

    /// The result of the step before the group, in the workflow the client sent.
    public var parent: AnyResult? { node.parent.map { AnyResult(node: $0, app: app) } }

    /// Waits for every member and returns their values in order; the first failure (in
    /// member order) is thrown as `TaskFailure`. `timeout` bounds the whole wait.
    public func get(timeout: Duration? = nil) async throws -> [Member] {
        var values: [Member] = []
        for outcome in try await get(timeout: timeout, propagate: true) {
            if case .success(let value) = outcome { values.append(value) }
        }
        return values
    }

    /// Waits for every member; with `propagate: false` failures come back as values.
    public func get(timeout: Duration? = nil, propagate: Bool) async throws -> [TaskOutcome<Member>] {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        var outcomes: [TaskOutcome<Member>] = []
        outcomes.reserveCapacity(results.count)
        for result in results {
            let left = deadline.map { max(.zero, $0 - clock.now) }
            let outcome = try await result.get(timeout: left, propagate: false)
            if propagate, case .failure(let failure) = outcome { throw failure }
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// Whether every member has finished (SUCCESS, FAILURE or REVOKED).
    public func ready() async throws -> Bool { try await states().allSatisfy(\.isReady) }

    /// Whether every member succeeded.
    public func successful() async throws -> Bool { try await states().allSatisfy { $0 == .success } }

    /// Whether any member failed or was revoked.
    public func failed() async throws -> Bool { try await states().contains { $0.propagates } }

    /// How many members succeeded (Celery's `completed_count()`).
    public var completedCount: Int {
        get async throws { try await states().filter { $0 == .success }.count }
    }

    /// The members' states, in order, read in one `MGET`.
    public func states() async throws -> [TaskState] {
        try await app.fetchRecords(results.map(\.id)).map { $0?.status ?? .pending }
    }

    /// Revokes every member (Celery's `GroupResult.revoke()`).
    public func revoke(terminate: Bool = false, signal: String = "SIGTERM") async throws {
        try await app.control.revoke(results.map(\.id), terminate: terminate, signal: signal)
    }

    /// The members' outcomes as each finishes, in the order they finish (Celery's `collect()`
    /// and `iter_native()`): `index` is the member's place in the group.
    public func collect(timeout: Duration? = nil) -> AsyncThrowingStream<Finished, any Error> {
        let results = self.results
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await withThrowingTaskGroup(of: Finished.self) { group in
                        for (index, result) in results.enumerated() {
                            group.addTask { Finished(index: index, id: result.id, outcome: try await result.get(timeout: timeout, propagate: false)) }
                        }
                        for try await finished in group { continuation.yield(finished) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One member's outcome, as `collect()` yields it.
    public struct Finished: Sendable {
        /// The member's place in the group.
        public let index: Int
        /// The member's task id.
        public let id: String
        /// Its value or failure.
        public let outcome: TaskOutcome<Member>
    }
}

extension App {
    /// Reads the stored records of many tasks in one `MGET`, `nil` where none is stored.
    package func fetchRecords(_ ids: [String]) async throws -> [ResultRecord?] {
        guard !ids.isEmpty else { return [] }
        let reply: RedisReply
        do {
            reply = try await connections.backend().command(RedisCommand("MGET", arguments: ids.map(CeleryKeys.result)))
        } catch {
            throw TaskQError.wrapping(error)
        }
        guard case .array(let values) = reply else { return ids.map { _ in nil } }
        return values.map { $0.bytes.flatMap { try? ResultRecord(bytes: $0) } }
    }
}

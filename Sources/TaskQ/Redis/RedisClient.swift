import FoundationEssentials

/// A Redis connection on its own thread, reconnected on demand.
///
/// Calls are async and run in order on the client's thread. When the
/// connection breaks, the call throws and the next call connects again.
// Safe: `connection`, the only mutable state, is only touched by jobs running on `thread`.
package final class RedisClient: @unchecked Sendable {
    /// The server this client talks to.
    package let url: RedisURL
    private let thread: RedisThread
    private let connectTimeout: Double
    /// Only touched on `thread`.
    private var connection: RedisConnection?
    private let directLane: DirectLane?

    /// Creates a client; nothing connects until the first call.
    ///
    /// With `direct`, single commands go through a `DirectLane` the caller
    /// drives itself when it is free: for callers that send one command after
    /// another and wait for each (the app's `delay()` and `get()`).
    /// `spins` lets that lane poll without yielding at first (see `DirectLane`).
    package init(url: RedisURL, name: String = "taskq.redis", connectTimeout: Double = 5, direct: Bool = false,
                 spins: Bool = false) {
        self.url = url
        self.connectTimeout = connectTimeout
        let thread = RedisThread(name: name)
        self.thread = thread
        self.directLane = direct ? DirectLane(url: url, connectTimeout: connectTimeout, thread: thread, spins: spins) : nil
    }

    deinit { thread.stop() }

    /// Runs `body` with a connected connection on the client's thread.
    package func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        try await thread.run { try self.runNow(body) }
    }

    /// Runs `body` synchronously; call only from the client's own thread.
    private func runNow<T>(_ body: (RedisConnection) throws -> T) throws -> T {
        let live: RedisConnection
        if let connection {
            live = connection
        } else {
            live = try RedisConnection(url: url, connectTimeout: connectTimeout)
            connection = live
        }
        do {
            return try body(live)
        } catch let error as RedisError where error.breaksConnection {
            live.close()
            connection = nil
            throw error
        }
    }

    /// Sends one command; an error reply is thrown.
    @discardableResult
    package func command(_ command: RedisCommand) async throws -> RedisReply {
        if let directLane, let reply = try await directLane.roundTrip(command) {
            if case .error(let message) = reply {
                throw RedisError(.reply, "Redis \(command.name) failed: \(message)")
            }
            return reply
        }
        return try await withConnection { try $0.command(command) }
    }

    /// Sends many commands in one round trip; error replies come back as values.
    package func pipeline(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        try await withConnection { try $0.pipeline(commands) }
    }

    /// Runs a Lua script by SHA, loading it on NOSCRIPT.
    package func evaluate(_ script: RedisScript, keys: [any RedisArgument], arguments: [any RedisArgument]) async throws -> RedisReply {
        try await withConnection { try script.evaluate(on: $0, keys: keys, arguments: arguments) }
    }

    /// Closes the connection and stops the thread.
    package func shutdown() async {
        _ = try? await thread.run { self.connection?.close(); self.connection = nil; self.directLane?.close() }
        thread.stop()
    }
}

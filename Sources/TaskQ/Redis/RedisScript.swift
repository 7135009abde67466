import FoundationEssentials
import Synchronization

/// A Lua script run with EVALSHA, loaded with SCRIPT LOAD on first use or NOSCRIPT.
package final class RedisScript: Sendable {
    /// The Lua source.
    package let source: String
    /// The SHA Redis returned from SCRIPT LOAD.
    private let sha = Mutex<String?>(nil)

    /// Wraps a Lua source.
    package init(_ source: String) {
        self.source = source
    }

    /// The EVALSHA command for this script, loading it first if its SHA is unknown.
    package func command(on connection: RedisConnection, keys: [any RedisArgument], arguments: [any RedisArgument]) throws -> RedisCommand {
        RedisCommand("EVALSHA", arguments: [try knownSHA(on: connection), keys.count] + keys + arguments)
    }

    /// The EVALSHA command when the script's SHA is known, else nil (nothing is sent).
    package func commandIfLoaded(keys: [any RedisArgument], arguments: [any RedisArgument]) -> RedisCommand? {
        guard let known = sha.withLock({ $0 }) else { return nil }
        return RedisCommand("EVALSHA", arguments: [known, keys.count] + keys + arguments)
    }

    /// Runs the script; an error reply other than NOSCRIPT is thrown.
    package func evaluate(on connection: RedisConnection, keys: [any RedisArgument], arguments: [any RedisArgument]) throws -> RedisReply {
        var reply = try connection.roundTrip(command(on: connection, keys: keys, arguments: arguments))
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            try load(on: connection)
            reply = try connection.roundTrip(command(on: connection, keys: keys, arguments: arguments))
        }
        if case .error(let message) = reply {
            throw RedisError(.reply, "Redis script failed: \(message)")
        }
        return reply
    }

    /// Whether a reply says the server has forgotten the script (after a restart or SCRIPT FLUSH).
    package static func isMissingScript(_ reply: RedisReply) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("NOSCRIPT") }
        return false
    }

    /// Loads the script into the server and remembers its SHA.
    package func load(on connection: RedisConnection) throws {
        let reply = try connection.command(RedisCommand("SCRIPT", "LOAD", source))
        guard let loaded = reply.string else {
            throw RedisError(.protocolViolation, "SCRIPT LOAD returned \(reply) instead of a SHA")
        }
        sha.withLock { $0 = loaded }
    }

    private func knownSHA(on connection: RedisConnection) throws -> String {
        if let known = sha.withLock({ $0 }) { return known }
        try load(on: connection)
        return sha.withLock { $0 ?? "" }
    }
}

import CHiredis
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// One hiredis connection. Blocking; owned by exactly one thread at a time.
///
/// The context is only ever touched by the thread that currently owns the
/// connection (a `RedisThread` or a listener loop); it is handed over, never shared.
// Safe: used by one owner at a time (or holding its owner's lock), handed over between threads, never shared.
package final class RedisConnection: @unchecked Sendable {
    /// The server this connection talks to.
    package let url: RedisURL
    private var context: UnsafeMutablePointer<redisContext>?

    /// Connects, authenticates and selects the URL's database.
    package init(url: RedisURL, connectTimeout: Double = 5, socketTimeout: Double? = 60) throws {
        self.url = url
        let timeout = timeval(tv_sec: Int(connectTimeout), tv_usec: Int((connectTimeout.truncatingRemainder(dividingBy: 1)) * 1_000_000))
        let made: UnsafeMutablePointer<redisContext>?
        switch url.endpoint {
        case .tcp(let host, let port): made = redisConnectWithTimeout(host, Int32(port), timeout)
        case .unix(let path): made = redisConnectUnixWithTimeout(path, timeout)
        }
        guard let made else {
            throw RedisError(.connection, "cannot reach Redis at \(url) (out of memory); is redis-server running? set TASKQ_BROKER_URL")
        }
        if made.pointee.err != 0 {
            let reason = Self.errorText(made)
            redisFree(made)
            throw RedisError(.connection, "cannot reach Redis at \(url) (\(reason)); is redis-server running? set TASKQ_BROKER_URL")
        }
        context = made
        if case .tcp = url.endpoint { _ = redisEnableKeepAlive(made) }
        if let socketTimeout { setSocketTimeout(socketTimeout) }
        if let password = url.password {
            let auth = url.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
            if case .error(let message) = try roundTrip(auth) {
                close()
                throw RedisError(.authentication, "Redis at \(url) refused AUTH (\(message)); check the password in the URL")
            }
        }
        if url.database != 0 {
            if case .error(let message) = try roundTrip(RedisCommand("SELECT", url.database)) {
                close()
                throw RedisError(.reply, "Redis at \(url) refused SELECT \(url.database) (\(message))")
            }
        }
    }

    deinit { close() }

    /// Closes the socket; the connection cannot be used afterwards.
    package func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// The socket's file descriptor, for `poll`.
    package var fileDescriptor: Int32 { context?.pointee.fd ?? -1 }

    /// Sets the read/write timeout. Keep it longer than any blocking command.
    package func setSocketTimeout(_ seconds: Double) {
        guard let context else { return }
        let value = timeval(tv_sec: Int(seconds), tv_usec: Int(seconds.truncatingRemainder(dividingBy: 1) * 1_000_000))
        _ = redisSetTimeout(context, value)
    }

    /// Sends one command and returns its reply; an error reply is thrown.
    @discardableResult
    package func command(_ command: RedisCommand) throws -> RedisReply {
        let reply = try roundTrip(command)
        if case .error(let message) = reply {
            throw RedisError(.reply, "Redis \(command.name) failed: \(message)")
        }
        return reply
    }

    /// Sends one command and returns its reply, error replies included.
    package func roundTrip(_ command: RedisCommand) throws -> RedisReply {
        try append(command)
        return try readReply()
    }

    /// Sends many commands in one write and returns every reply, in order.
    /// Error replies are returned as `.error`, not thrown.
    package func pipeline(_ commands: [RedisCommand]) throws -> [RedisReply] {
        for command in commands { try append(command) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try readReply()) }
        return replies
    }

    /// Queues a command in hiredis' output buffer without sending it.
    ///
    /// The command is written in Redis' wire form (RESP) here, in one buffer, and handed
    /// to hiredis as formatted: one copy of each argument instead of three.
    package func append(_ command: RedisCommand) throws {
        let context = try liveContext()
        var size = 16
        for argument in command.arguments { size += argument.count + 16 }
        var wire: [UInt8] = []
        wire.reserveCapacity(size)
        wire.append(UInt8(ascii: "*"))
        wire.append(contentsOf: String(command.arguments.count).utf8)
        wire.append(contentsOf: [13, 10])
        for argument in command.arguments {
            wire.append(UInt8(ascii: "$"))
            wire.append(contentsOf: String(argument.count).utf8)
            wire.append(contentsOf: [13, 10])
            wire.append(contentsOf: argument)
            wire.append(contentsOf: [13, 10])
        }
        let status = wire.withUnsafeBytes { bytes in
            redisAppendFormattedCommand(context, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK { throw brokenConnection("queueing \(command.name)") }
    }

    /// Writes everything queued so far to the socket.
    package func flush() throws {
        let context = try liveContext()
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(context, &done) != REDIS_OK { throw brokenConnection("writing") }
        }
    }

    /// Blocks until the next reply arrives (flushing queued commands first).
    package func readReply() throws -> RedisReply {
        let context = try liveContext()
        var raw: UnsafeMutableRawPointer?
        if redisGetReply(context, &raw) != REDIS_OK || raw == nil {
            throw brokenConnection("reading a reply")
        }
        defer { freeReplyObject(raw) }
        return Self.convert(raw!.assumingMemoryBound(to: redisReply.self))
    }

    /// Puts the socket in non-blocking mode for good: writes and reads then
    /// return at once, and `readAvailable()` on an empty socket reads nothing.
    package func makeNonBlocking() throws {
        let context = try liveContext()
        let flags = fcntl(context.pointee.fd, F_GETFL)
        guard flags >= 0, fcntl(context.pointee.fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw brokenConnection("making the socket non-blocking")
        }
        context.pointee.flags &= ~Int32(REDIS_BLOCK)
    }

    /// Writes as much of the queued commands as the socket takes now; true when all are written.
    package func writeAvailable() throws -> Bool {
        let context = try liveContext()
        var done: Int32 = 0
        if redisBufferWrite(context, &done) != REDIS_OK { throw brokenConnection("writing") }
        return done != 0
    }

    /// Reads whatever the socket has now (call only when `poll` says readable).
    package func readAvailable() throws {
        let context = try liveContext()
        if redisBufferRead(context) != REDIS_OK { throw brokenConnection("reading") }
    }

    /// A reply already parsed from bytes read earlier, without touching the socket.
    package func bufferedReply() throws -> RedisReply? {
        let context = try liveContext()
        var raw: UnsafeMutableRawPointer?
        if redisGetReplyFromReader(context, &raw) != REDIS_OK { throw brokenConnection("parsing a reply") }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func liveContext() throws -> UnsafeMutablePointer<redisContext> {
        guard let context else { throw RedisError(.connection, "the connection to Redis at \(url) is closed") }
        if context.pointee.err != 0 { throw brokenConnection("using the connection") }
        return context
    }

    private func brokenConnection(_ doing: String) -> RedisError {
        let reason = context.map(Self.errorText) ?? "closed"
        return RedisError(.connection, "lost the connection to Redis at \(url) while \(doing) (\(reason)); is redis-server running?")
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        var errstr = context.pointee.errstr
        let text = withUnsafeBytes(of: &errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "error \(context.pointee.err)" : text.lowercased()
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            guard let str = value.str else { return .bulk([]) }
            return .bulk(Array(UnsafeRawBufferPointer(start: str, count: Int(value.len))))
        case REDIS_REPLY_STATUS:
            guard let str = value.str else { return .status("") }
            return .status(String(decoding: UnsafeRawBufferPointer(start: str, count: Int(value.len)), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            guard let str = value.str else { return .error("") }
            return .error(String(decoding: UnsafeRawBufferPointer(start: str, count: Int(value.len)), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(value.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { items.append(convert(element)) } else { items.append(.null) }
            }
            return .array(items)
        default:
            return .null
        }
    }
}

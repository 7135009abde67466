import Dispatch
import FoundationEssentials
import Logging
import Synchronization
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// One write the worker makes: a command, or a Lua script call.
enum RedisWrite: Sendable {
    /// A plain command.
    case command(RedisCommand)
    /// A script call by SHA (loaded on demand).
    case script(RedisScript, keys: [String], arguments: [[UInt8]])
    /// Acknowledges a delivery; the acks of one round trip go in one script call.
    case ack(tag: String)
    /// Stores a result record (and acks `ackTag` unless empty); the results of one round
    /// trip go in one script call.
    case storeResult(key: String, json: [UInt8], ttl: Int, ackTag: String)
}

/// Sends the worker's writes (results, acks, events) to Redis, everything queued
/// since the last round trip in one pipeline.
///
/// A dedicated thread owns the connection and reads every reply. When it is idle
/// (connected, nothing in flight, nothing queued, no reply read in the last 250 µs)
/// the thread waits in `poll` on the socket, and `enqueue` writes the commands to the
/// socket itself: a result reaches Redis without waiting for the writer's thread to
/// be woken and scheduled. The thread wakes on the reply, as it would have anyway.
///
/// A write is never dropped: when Redis is unreachable the batch is sent again
/// after a reconnect, with backoff, and the outage is logged once.
final class RedisWriter: Sendable {
    private struct Entry: Sendable {
        let writes: [RedisWrite]
        let completion: (@Sendable () -> Void)?
    }

    /// Who may use the connection right now.
    private enum Phase: Sendable {
        /// The thread: it is sending, reading, connecting or backing off.
        case busy
        /// Nobody: the thread waits in `poll` on this connection, which an enqueuer may write to.
        case idle(RedisConnection)
        /// An enqueuer wrote these writes (merged) to the connection; the thread reads the replies.
        case sentDirectly([Entry], merged: [RedisWrite])
    }

    /// What the thread does next.
    private enum Work: Sendable {
        case send([Entry])
        case collect([Entry], merged: [RedisWrite])
    }

    /// What enqueuers and the thread share.
    private struct Shared {
        var queue: [Entry] = []
        var phase = Phase.busy
        /// When the thread last finished reading replies (uptime nanoseconds).
        var lastReplyRead: UInt64 = 0
        var stopped = false
        var giveUpAt: Date?
    }

    /// Writes that come within this long of the last replies go to the thread: under load
    /// it gathers them into one round trip, and the caller (the worker's event loop) is
    /// spared the socket write. Only a write to a writer that has been quiet goes directly.
    private static let busyWindow: UInt64 = 250_000

    private let url: RedisURL
    private let logger: Logger
    private let shared = Mutex(Shared())
    private let wakeUp = WakePipe()
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the writer's thread.
    init(url: RedisURL, name: String, logger: Logger) {
        self.url = url
        self.logger = logger
        PosixThread.start(name: name) { [self] in self.loop() }
    }

    /// Queues writes, or sends them at once when the writer is idle; `completion` runs on
    /// the writer's thread once Redis has them.
    func enqueue(_ writes: [RedisWrite], completion: (@Sendable () -> Void)? = nil) {
        let entry = Entry(writes: writes, completion: completion)
        let mustWake = shared.withLock { shared -> Bool in
            if case .idle(let connection) = shared.phase, shared.queue.isEmpty, !writes.isEmpty,
               DispatchTime.now().uptimeNanoseconds - shared.lastReplyRead > Self.busyWindow,
               let merged = Self.sendNow(writes, on: connection, phase: &shared.phase) {
                shared.phase = .sentDirectly([entry], merged: merged)
                return false
            }
            let wasEmpty = shared.queue.isEmpty
            shared.queue.append(entry)
            return wasEmpty
        }
        if mustWake { wakeUp.wake() }
    }

    /// Writes `writes` to an idle connection (called holding `shared`'s lock); the merged
    /// writes when they were all written, nil to leave them to the thread (a script whose SHA
    /// is not known yet, or a failed write: the thread then finds the connection broken).
    private static func sendNow(_ writes: [RedisWrite], on connection: RedisConnection, phase: inout Phase) -> [RedisWrite]? {
        let merged = Self.merged(writes)
        var commands: [RedisCommand] = []
        commands.reserveCapacity(merged.count)
        for write in merged {
            guard let command = knownCommand(for: write) else { return nil }
            commands.append(command)
        }
        do {
            for command in commands { try connection.append(command) }
            try connection.flush()
            return merged
        } catch {
            // The connection is broken (some of it may have gone out): the thread finds the
            // batch queued, fails on the connection, reconnects and sends the whole batch
            // again (every write the worker makes may be repeated).
            phase = .busy
            return nil
        }
    }

    /// Waits until everything queued so far is in Redis.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            enqueue([]) { continuation.resume() }
        }
    }

    /// From now on, a batch that cannot be sent by `deadline` is dropped with an error line
    /// instead of retried forever (used at shutdown, when Redis is gone).
    func giveUp(after deadline: Date) {
        shared.withLock { $0.giveUpAt = deadline }
    }

    /// Sends what is queued, then stops the thread.
    func stop() {
        shared.withLock { $0.stopped = true }
        wakeUp.wake()
        finished.wait()
        // Signalled once by the thread's end: pass it on, so a second stop() (a cold shutdown
        // after a warm one) returns too instead of waiting forever.
        finished.signal()
    }

    private func loop() {
        var connection: RedisConnection?
        var backoff = 0.1
        var outage = false
        defer {
            shared.withLock { $0.phase = .busy }
            connection?.close()
            finished.signal()
        }
        while let work = nextWork(connection: &connection) {
            let batch: [Entry]
            var collecting: [RedisWrite]?
            switch work {
            case .send(let entries):
                batch = entries
            case .collect(let entries, let merged):
                batch = entries
                collecting = merged
            }
            while true {
                do {
                    if connection == nil {
                        connection = try RedisConnection(url: url)
                        collecting = nil   // a new connection: whatever was written is resent
                    }
                    if let merged = collecting {
                        collecting = nil
                        try collectReplies(merged, on: connection!)
                    } else {
                        try send(batch, on: connection!)
                    }
                    if outage { logger.info("writer: connected to \(url) again; the queued writes are sent") }
                    outage = false
                    backoff = 0.1
                    break
                } catch {
                    connection?.close()
                    connection = nil
                    if !outage {
                        logger.error("cannot write to Redis: \(error). Keeping the writes and trying again with backoff")
                        outage = true
                    }
                    let deadline = shared.withLock { $0.giveUpAt }
                    if let deadline, Date() > deadline {
                        let count = batch.reduce(0) { $0 + $1.writes.count }
                        logger.critical("shutting down with Redis unreachable: \(count) write(s) (results, acks, events) could not be sent; unacknowledged messages stay in 'unacked' and are restored by the next worker")
                        break
                    }
                    PosixThread.sleep(seconds: backoff)
                    backoff = min(backoff * 2, 5)
                }
            }
            shared.withLock { $0.lastReplyRead = DispatchTime.now().uptimeNanoseconds }
            for entry in batch { entry.completion?() }
        }
    }

    /// Blocks until there is work: replies to read for writes an enqueuer sent, or queued
    /// writes. Nil once stopped with nothing left.
    private func nextWork(connection: inout RedisConnection?) -> Work? {
        while true {
            let idle = connection
            let ready = shared.withLock { shared -> (work: Work?, stopped: Bool) in
                if case .sentDirectly(let entries, let merged) = shared.phase {
                    shared.phase = .busy
                    return (.collect(entries, merged: merged), false)
                }
                if !shared.queue.isEmpty {
                    let batch = shared.queue
                    shared.queue.removeAll(keepingCapacity: true)
                    return (.send(batch), false)
                }
                if shared.stopped { return (nil, true) }
                if let idle { shared.phase = .idle(idle) }
                return (nil, false)
            }
            if let work = ready.work { return work }
            if ready.stopped { return nil }

            var fds = [pollfd(fd: wakeUp.descriptor, events: Int16(POLLIN), revents: 0)]
            if let connection { fds.append(pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), 1000)
            if fds[0].revents != 0 { wakeUp.drain() }

            let sentMeanwhile = shared.withLock { shared -> Bool in
                guard case .idle = shared.phase else { return true }
                shared.phase = .busy
                return false
            }
            // Readable with nothing sent: the server closed the connection (or sent what was
            // not asked for). Drop it; the next batch reconnects.
            if !sentMeanwhile, fds.count > 1, fds[1].revents != 0 {
                connection?.close()
                connection = nil
            }
        }
    }

    private func send(_ batch: [Entry], on connection: RedisConnection) throws {
        var writes: [RedisWrite] = []
        for entry in batch { writes.append(contentsOf: entry.writes) }
        writes = Self.merged(writes)
        guard !writes.isEmpty else { return }
        // Every command first: making one may load a script, a round trip of its own.
        let commands = try writes.map { try command(for: $0, on: connection) }
        for command in commands { try connection.append(command) }
        try connection.flush()
        try collectReplies(writes, on: connection)
    }

    /// Reads one reply per write, loads and resends scripts the server forgot, and logs refusals.
    private func collectReplies(_ writes: [RedisWrite], on connection: RedisConnection) throws {
        var replies: [RedisReply] = []
        replies.reserveCapacity(writes.count)
        for _ in writes { replies.append(try connection.readReply()) }
        // A script the server forgot (restart, SCRIPT FLUSH): load it and resend just those.
        let missing = replies.indices.filter { RedisScript.isMissingScript(replies[$0]) }
        if !missing.isEmpty {
            for index in missing {
                if case .script(let script, _, _) = writes[index] { try script.load(on: connection) }
            }
            let commands = try missing.map { try command(for: writes[$0], on: connection) }
            let again = try connection.pipeline(commands)
            for (offset, index) in missing.enumerated() { replies[index] = again[offset] }
        }
        for (index, reply) in replies.enumerated() {
            if case .error(let message) = reply {
                logger.error("Redis refused a write (\(commandName(writes[index]))): \(message)")
            } else if case .script(let script, _, _) = writes[index], script.source == BrokerScripts.storeResults.source,
                      let refused = reply.array?.compactMap(\.string), !refused.isEmpty {
                logger.error("Redis refused to store results under \(refused.joined(separator: ", ")): the keys hold another type; those tasks were acked without a stored result")
            }
        }
    }

    /// The writes with every `.ack` folded into one `BrokerScripts.ack` call and every
    /// `.storeResult` into one `BrokerScripts.storeResults` call, each where its first
    /// member stood (so nothing is written later than it would have been).
    static func merged(_ writes: [RedisWrite]) -> [RedisWrite] {
        var tags: [[UInt8]] = []
        var resultKeys: [String] = []
        var resultArguments: [[UInt8]] = []
        var ttl = 0
        var output: [RedisWrite] = []
        var ackSlot: Int?
        var storeSlot: Int?
        for write in writes {
            switch write {
            case .ack(let tag):
                if ackSlot == nil {
                    ackSlot = output.count
                    output.append(write)
                }
                tags.append(Array(tag.utf8))
            case .storeResult(let key, let json, let seconds, let ackTag):
                if storeSlot == nil {
                    storeSlot = output.count
                    output.append(write)
                }
                ttl = seconds
                resultKeys.append(key)
                resultArguments.append(json)
                resultArguments.append(Array(ackTag.utf8))
            default:
                output.append(write)
            }
        }
        if let ackSlot {
            output[ackSlot] = .script(BrokerScripts.ack, keys: BrokerScripts.bookkeeping, arguments: tags)
        }
        if let storeSlot {
            output[storeSlot] = .script(BrokerScripts.storeResults, keys: BrokerScripts.bookkeeping + resultKeys,
                                        arguments: [Array(String(ttl).utf8)] + resultArguments)
        }
        return output
    }

    /// The command for an already merged write without talking to Redis, or nil when it
    /// is a script whose SHA is not known yet.
    private static func knownCommand(for write: RedisWrite) -> RedisCommand? {
        switch write {
        case .command(let command):
            return command
        case .script(let script, let keys, let arguments):
            return script.commandIfLoaded(keys: keys, arguments: arguments)
        case .ack, .storeResult:
            return nil
        }
    }

    private func command(for write: RedisWrite, on connection: RedisConnection) throws -> RedisCommand {
        switch write {
        case .command(let command):
            return command
        case .script(let script, let keys, let arguments):
            return try script.command(on: connection, keys: keys, arguments: arguments)
        case .ack, .storeResult:
            return try command(for: Self.merged([write])[0], on: connection)
        }
    }

    private func commandName(_ write: RedisWrite) -> String {
        switch write {
        case .command(let command): return command.name
        case .script, .ack, .storeResult: return "EVALSHA"
        }
    }
}

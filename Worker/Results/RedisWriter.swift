import Dispatch
import FoundationEssentials
import Logging
import TaskQ

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

/// Sends the worker's writes (results, acks, events) on a dedicated thread,
/// everything queued since the last round trip in one pipeline.
///
/// A write is never dropped: when Redis is unreachable the batch is sent again
/// after a reconnect, with backoff, and the outage is logged once.
final class RedisWriter: @unchecked Sendable {
    private struct Entry {
        let writes: [RedisWrite]
        let completion: (@Sendable () -> Void)?
    }

    private let url: RedisURL
    private let logger: Logger
    // Guarded by `condition`.
    private let condition = PosixCondition()
    private var queue: [Entry] = []
    private var stopped = false
    private var giveUpAt: Date?
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the writer's thread.
    init(url: RedisURL, name: String, logger: Logger) {
        self.url = url
        self.logger = logger
        PosixThread.start(name: name) { [self] in self.loop() }
    }

    /// Queues writes; `completion` runs on the writer's thread once Redis has them.
    func enqueue(_ writes: [RedisWrite], completion: (@Sendable () -> Void)? = nil) {
        condition.lock()
        queue.append(Entry(writes: writes, completion: completion))
        condition.signal()
        condition.unlock()
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
        condition.lock()
        giveUpAt = deadline
        condition.unlock()
    }

    /// Sends what is queued, then stops the thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
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
            connection?.close()
            finished.signal()
        }
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()

            while true {
                do {
                    if connection == nil {
                        connection = try RedisConnection(url: url)
                    }
                    try send(batch, on: connection!)
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
                    let deadline = condition.withLock { giveUpAt }
                    if let deadline, Date() > deadline {
                        let count = batch.reduce(0) { $0 + $1.writes.count }
                        logger.critical("shutting down with Redis unreachable: \(count) write(s) (results, acks, events) could not be sent; unacknowledged messages stay in 'unacked' and are restored by the next worker")
                        break
                    }
                    PosixThread.sleep(seconds: backoff)
                    backoff = min(backoff * 2, 5)
                }
            }
            for entry in batch { entry.completion?() }
        }
    }

    private func send(_ batch: [Entry], on connection: RedisConnection) throws {
        var writes: [RedisWrite] = []
        for entry in batch { writes.append(contentsOf: entry.writes) }
        writes = Self.merged(writes)
        guard !writes.isEmpty else { return }
        var commands = try writes.map { try command(for: $0, on: connection) }
        var replies = try connection.pipeline(commands)
        // A script the server forgot (restart, SCRIPT FLUSH): load it and resend just those.
        let missing = replies.indices.filter { RedisScript.isMissingScript(replies[$0]) }
        if !missing.isEmpty {
            for index in missing {
                if case .script(let script, _, _) = writes[index] { try script.load(on: connection) }
            }
            commands = try missing.map { try command(for: writes[$0], on: connection) }
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

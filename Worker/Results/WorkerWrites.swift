import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import TaskQ

/// The writes the worker makes, spelled once: acks, results, dead letters, schedules, restores.
///
/// When the broker and the result backend are the same Redis database, a result
/// and its ack are one atomic script call; otherwise the ack follows once the
/// result is stored (at-least-once: never an ack before its result).
final class WorkerWrites: Sendable {
    let broker: RedisWriter
    let backend: RedisWriter
    private let shared: Bool
    private let resultExpiry: Int
    private let format: MessageFormat

    init(broker: RedisWriter, backend: RedisWriter, shared: Bool, resultExpiry: Int, format: MessageFormat = .json) {
        self.broker = broker
        self.backend = backend
        self.shared = shared
        self.resultExpiry = resultExpiry
        self.format = format
    }

    /// `message` in the worker's format. The signing key was checked when the worker started,
    /// so encoding does not fail; should it, the message still goes out, unsigned, and a
    /// worker that requires signatures dead-letters it with the reason.
    func envelope(_ message: TaskMessage) -> [UInt8] {
        (try? message.envelope(format: format)) ?? message.envelope()
    }

    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private static func now() -> [UInt8] { bytes(FixedPoint.text(Date().timeIntervalSince1970, places: 6)) }

    /// Removes a delivery from the unacked bookkeeping.
    func ack(_ tag: String) {
        broker.enqueue([Self.ackWrite(tag)])
    }

    private static func ackWrite(_ tag: String) -> RedisWrite {
        .ack(tag: tag)
    }

    /// Stores a result record (SET with expiry + PUBLISH) and acks `ackTag` after it, if given.
    func store(_ record: ResultRecord, ackTag: String?, completion: (@Sendable () -> Void)? = nil) {
        let json = record.serialized()
        let key = CeleryKeys.result(record.taskID)
        if shared {
            broker.enqueue([.storeResult(key: key, json: json, ttl: resultExpiry, ackTag: ackTag ?? "")], completion: completion)
        } else {
            let broker = self.broker
            backend.enqueue([.storeResult(key: key, json: json, ttl: resultExpiry, ackTag: "")]) {
                if let ackTag {
                    broker.enqueue([Self.ackWrite(ackTag)], completion: completion)
                } else {
                    completion?()
                }
            }
        }
    }

    /// Starts a canvas: its chords' header sizes on the backend first (a header task may
    /// finish at once and look for its chord's size), then its messages on the broker.
    func startCanvas(chordSizes: [CanvasPlanner.ChordSize], messages: [CanvasPlanner.Publish]) {
        let publishes = messages.map { RedisWrite.command(RedisCommand("LPUSH", $0.list, envelope($0.message))) }
        guard !chordSizes.isEmpty else {
            broker.enqueue(publishes)
            return
        }
        let sizes = chordSizes.flatMap { $0.commands(expiry: resultExpiry) }.map(RedisWrite.command)
        let broker = self.broker
        backend.enqueue(sizes) { broker.enqueue(publishes) }
    }

    /// Adds revoked task ids to `taskq:revoked` (scored by when the revocation expires).
    func recordRevoked(_ ids: [String], until expiry: Double) {
        guard !ids.isEmpty else { return }
        var arguments: [any RedisArgument] = [CeleryKeys.revoked]
        for id in ids {
            arguments.append(expiry)
            arguments.append(id)
        }
        broker.enqueue([.command(RedisCommand("ZADD", arguments: arguments)),
                        .command(RedisCommand("ZREMRANGEBYSCORE", CeleryKeys.revoked, "-inf", Date().timeIntervalSince1970))])
    }

    /// Stores a record only if the task has not started or finished (see `BrokerScripts.storeIfWaiting`).
    func storeIfWaiting(_ record: ResultRecord) {
        backend.enqueue([.script(BrokerScripts.storeIfWaiting, keys: [CeleryKeys.result(record.taskID)],
                                 arguments: [record.serialized(), Self.bytes(String(resultExpiry))])])
    }

    /// Moves a claimed message to the dead-letter list with the reason, and acks it.
    func deadLetter(tag: String, reason: String, queue: String) {
        broker.enqueue([.script(BrokerScripts.deadLetter,
                                keys: BrokerScripts.bookkeeping + [CeleryKeys.deadLetters],
                                arguments: [Self.bytes(tag), Self.bytes(reason), Self.bytes(queue), Self.now()])])
    }

    /// Puts `message` in the scheduled set until `due`, acking `replacing` in the same step.
    func schedule(_ message: TaskMessage, due: Date, list: String, replacing oldTag: String?) {
        broker.enqueue([.script(BrokerScripts.schedule,
                                keys: BrokerScripts.bookkeeping + [CeleryKeys.scheduled, CeleryKeys.scheduledMessages],
                                arguments: [Self.bytes(message.deliveryTag), Self.bytes(FixedPoint.text(due.timeIntervalSince1970, places: 6)),
                                            envelope(message), Self.bytes(list), Self.bytes(oldTag ?? "")])])
    }

    /// Puts claimed messages back at the head of their lists. `countsAsDelivery` is true when
    /// the message ran (a child died under it), so that it counts toward the poison limit.
    func restore(_ deliveries: [(tag: String, list: String)], countsAsDelivery: Bool = false) {
        guard !deliveries.isEmpty else { return }
        let arguments = [Self.bytes(countsAsDelivery ? "1" : "0")] + deliveries.flatMap { [Self.bytes($0.tag), Self.bytes($0.list)] }
        broker.enqueue([.script(BrokerScripts.restore, keys: BrokerScripts.bookkeeping, arguments: arguments)])
    }

    /// Moves the held deliveries' `unacked_index` scores to now, so no sweep takes them back.
    func renew(_ tags: [String]) {
        guard !tags.isEmpty else { return }
        let now = FixedPoint.text(Date().timeIntervalSince1970, places: 6)
        var arguments: [any RedisArgument] = [CeleryKeys.unackedIndex, "XX"]
        for tag in tags {
            arguments.append(now)
            arguments.append(tag)
        }
        broker.enqueue([.command(RedisCommand("ZADD", arguments: arguments))])
    }

    /// Marks this run of the worker alive for `seconds` (other workers restore its messages once it lapses).
    func markAlive(holder: String, seconds: Double) {
        broker.enqueue([.command(RedisCommand("SET", CeleryKeys.alivePrefix + holder, String(getpid()), "PX", Int(seconds * 1000)))])
    }

    /// Removes this worker's liveness key at a clean exit.
    func markGone(holder: String) {
        broker.enqueue([.command(RedisCommand("DEL", CeleryKeys.alivePrefix + holder))])
    }

    /// Waits until every queued write is in Redis.
    func flush() async {
        await backend.flush()
        await broker.flush()
    }
}

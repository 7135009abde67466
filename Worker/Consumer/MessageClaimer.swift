import Dispatch
import FoundationEssentials
import Logging
import Synchronization
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// A message claimed from a queue: already recorded in `unacked`.
struct ClaimedMessage: Sendable {
    /// The queue it came from.
    let queue: String
    /// kombu's delivery tag, `properties.delivery_tag`.
    let deliveryTag: String
    /// The envelope bytes as stored in the list.
    let envelope: [UInt8]
    /// How many times this delivery tag has been claimed, this time included.
    let deliveries: Int
    /// The envelope read (serializer, compression, signatures), or why it cannot be: done on
    /// the claimer's thread, where it costs the supervisor nothing.
    let decoded: Result<TaskMessage, any Error>

    init(queue: String, deliveryTag: String, envelope: [UInt8], deliveries: Int, reader: MessageReader = .json) {
        self.queue = queue
        self.deliveryTag = deliveryTag
        self.envelope = envelope
        self.deliveries = deliveries
        decoded = Result { try TaskMessage(envelope: envelope, reader: reader, redelivered: deliveries > 1) }
    }
}

/// Claims messages on a dedicated thread: many per round trip with one Lua call, and
/// blocking on "doorbell" connections when the queues are empty instead of polling.
///
/// A doorbell is a connection blocked in `BLMOVE list list RIGHT RIGHT`, which
/// wakes when the list gets an element and moves nothing anywhere (the element
/// goes back where it was). So the wait never takes a message out of Redis: a
/// claim and its unacked record always happen in the one Lua step.
///
/// The first list's doorbell carries the claim itself: the claim script is sent
/// right behind the `BLMOVE` on the same connection, so Redis runs it the moment
/// the doorbell rings, and the claimed messages arrive with the ring instead of a
/// round trip later. To stop, the claimer unblocks that doorbell (`CLIENT UNBLOCK`)
/// and takes what its claim returns, so nothing is claimed unseen.
final class MessageClaimer: Sendable {
    private let configuration: WorkerConfiguration
    private let logger: Logger
    private let deliver: @Sendable ([ClaimedMessage]) -> Void
    /// How many more messages may be claimed.
    private let credits = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let wakeUp = WakePipe()
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the claiming thread; nothing is claimed until `grant` gives credits.
    init(configuration: WorkerConfiguration, logger: Logger, deliver: @escaping @Sendable ([ClaimedMessage]) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.deliver = deliver
        PosixThread.start(name: "taskq.claimer") { [self] in self.loop() }
    }

    /// Allows `count` more messages to be claimed.
    ///
    /// The thread is woken only when it had no credits: with some left it is either
    /// claiming or waiting on armed doorbells, and sees the new ones either way.
    func grant(_ count: Int) {
        guard count > 0 else { return }
        let hadNone = credits.wrappingAdd(count, ordering: .sequentiallyConsistent).oldValue <= 0
        if hadNone { wake() }
    }

    /// Stops claiming and waits for the thread to finish its current step.
    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        wake()
        finished.wait()
        // Signalled once by the thread's end: pass it on, so a second stop() (a cold shutdown
        // after a warm one) returns too instead of waiting forever.
        finished.signal()
    }

    private func wake() { wakeUp.wake() }

    private func loop() {
        let lists = configuration.consumedLists
        var connection: RedisConnection?
        var doorbells: [Doorbell] = lists.map { Doorbell(list: $0.list) }
        var backoff = 0.2
        var outage = false
        var lastPromotion = Date.distantPast
        var lastRecovery = Date.distantPast
        var queuesLookEmpty = false
        var stamps = ClaimStamps()
        defer {
            if let express = doorbells.first { takeExpressClaim(express, main: connection) }
            connection?.close()
            doorbells.forEach { $0.close() }
            finished.signal()
        }
        while !stopped.load(ordering: .sequentiallyConsistent) {
            do {
                if connection == nil {
                    connection = try RedisConnection(url: configuration.brokerURL)
                }
                let live = connection!
                if outage {
                    // Alive again before anything else: a Redis restart may have outlived the
                    // liveness key, and other workers would take what this one holds.
                    try markAlive(live)
                    try reclaimLostClaims(live, stamps: &stamps.unsettled)
                    logger.info("consumer: connected to \(configuration.brokerURL) again")
                    outage = false
                    backoff = 0.2
                }
                if Date().timeIntervalSince(lastPromotion) >= 0.25 {
                    try promoteDueMessages(live)
                    lastPromotion = Date()
                }
                if lastRecovery == .distantPast {
                    try takeBackFromPredecessor(live)
                    lastRecovery = Date()
                } else if Date().timeIntervalSince(lastRecovery) >= min(2, configuration.visibilityTimeout / 2) {
                    try recoverOrphans(live, visibility: configuration.visibilityTimeout)
                    lastRecovery = Date()
                }
                let allowed = credits.load(ordering: .sequentiallyConsistent)
                let limit = min(allowed, 1000)
                if allowed > 0 && !queuesLookEmpty {
                    let stamp = stamps.next()
                    stamps.unsettled.append(stamp)
                    let claimed = parseClaimed(try BrokerScripts.claim.evaluate(
                        on: live, keys: claimKeys(lists), arguments: claimArguments(limit: limit, stamp: stamp, lists: lists)))
                    stamps.unsettled.removeLast()
                    // A claim that got fewer than it asked for emptied the queues: the next
                    // one waits for a doorbell (which rings at once if more came meanwhile)
                    // instead of asking Redis again straight away.
                    queuesLookEmpty = claimed.count < limit
                    if !claimed.isEmpty {
                        credits.wrappingSubtract(claimed.count, ordering: .sequentiallyConsistent)
                        deliver(claimed)
                        continue
                    }
                }
                // The express claim's stamp is the time it is armed: a live holder's deliveries are
                // never orphans, and the supervisor renews the ones it holds within a third of
                // the visibility timeout.
                let expressStamp = stamps.next()
                let expressClaim = allowed > 0
                    ? BrokerScripts.claim.commandIfLoaded(keys: claimKeys(lists), arguments: claimArguments(limit: limit, stamp: expressStamp, lists: lists))
                        .map { (command: $0, stamp: expressStamp) }
                    : nil
                let outcome = try waitForWork(doorbells: &doorbells, watchQueues: allowed > 0, expressClaim: expressClaim)
                if let reply = outcome.expressReply {
                    if case .error(let message) = reply {
                        // NOSCRIPT after a Redis restart, say: the next claim goes the usual way,
                        // which loads the script again.
                        logger.warning("consumer: the claim behind the doorbell failed (\(message)); claiming again")
                        queuesLookEmpty = false
                        continue
                    }
                    let claimed = parseClaimed(reply)
                    if !claimed.isEmpty {
                        credits.wrappingSubtract(claimed.count, ordering: .sequentiallyConsistent)
                        deliver(claimed)
                    }
                    // Rang and claimed: more may be waiting only if it took all it could.
                    queuesLookEmpty = claimed.count < limit && !outcome.otherRang
                    continue
                }
                // Queues found empty stay empty until a doorbell rings: an armed doorbell rings
                // for anything pushed since the claim. Without credits none was armed.
                if outcome.otherRang || allowed <= 0 { queuesLookEmpty = false }
            } catch {
                connection?.close()
                connection = nil
                queuesLookEmpty = false
                // A claim behind a doorbell whose reply never came may have run: found again on reconnect.
                stamps.unsettled += doorbells.compactMap(\.unsettledClaim)
                doorbells.forEach { $0.close() }
                if !outage {
                    logger.error("consumer: \(error). Trying again with backoff (up to 5 s between attempts)")
                    outage = true
                }
                PosixThread.sleep(seconds: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
    }

    private func claimKeys(_ lists: [(list: String, queue: String)]) -> [any RedisArgument] {
        (BrokerScripts.bookkeeping + [CeleryKeys.deadLetters]).map { $0 as any RedisArgument } + lists.map { $0.list as any RedisArgument }
    }

    /// The claim script's arguments; `stamp` scores what the claim takes in `unacked_index`.
    private func claimArguments(limit: Int, stamp: String, lists: [(list: String, queue: String)]) -> [any RedisArgument] {
        [limit, stamp, configuration.claimHolder] + lists.map { $0.queue as any RedisArgument }
    }

    /// Delivers what the claims stamped `stamps`, whose reply was lost, took (see `BrokerScripts.reclaim`).
    private func reclaimLostClaims(_ connection: RedisConnection, stamps: inout [String]) throws {
        guard !stamps.isEmpty else { return }
        let reply = try BrokerScripts.reclaim.evaluate(on: connection, keys: BrokerScripts.bookkeeping,
                                                       arguments: [configuration.claimHolder] + stamps)
        stamps.removeAll()
        let claimed = parseClaimed(reply)
        if !claimed.isEmpty {
            logger.warning("consumer: \(claimed.count) message(s) claimed just before the connection was lost are delivered now")
            credits.wrappingSubtract(claimed.count, ordering: .sequentiallyConsistent)
            deliver(claimed)
        }
    }

    /// The messages of a claim script's reply; dead-lettered ones are logged and left out.
    private func parseClaimed(_ reply: RedisReply) -> [ClaimedMessage] {
        guard let items = reply.array else { return [] }
        var claimed: [ClaimedMessage] = []
        claimed.reserveCapacity(items.count / 4)
        var index = 0
        while index + 3 < items.count {
            let queue = items[index].string ?? ""
            let tag = items[index + 1].string ?? ""
            if tag.isEmpty {
                let reason = items[index + 3].string ?? "no delivery tag"
                logger.error("Moved a message from queue '\(queue)' to the dead-letter list \(CeleryKeys.deadLetters): \(reason)")
            } else {
                claimed.append(ClaimedMessage(queue: queue, deliveryTag: tag, envelope: items[index + 2].bytes ?? [],
                                              deliveries: Int(items[index + 3].string ?? "") ?? items[index + 3].integer ?? 1,
                                              reader: configuration.reader))
            }
            index += 4
        }
        return claimed
    }

    /// At stop: unblocks the express doorbell, so that the claim queued behind its BLMOVE
    /// runs now (or has run), and delivers what it took; the worker gives those back.
    private func takeExpressClaim(_ express: Doorbell, main: RedisConnection?) {
        guard express.carriesClaim else { return }
        do {
            let connection = try main ?? RedisConnection(url: configuration.brokerURL, connectTimeout: 2, socketTimeout: 5)
            defer { if main == nil { connection.close() } }
            try express.unblock(using: connection)
            if let reply = try express.awaitClaimReply(timeout: 5) {
                let claimed = parseClaimed(reply)
                if !claimed.isEmpty { deliver(claimed) }
            }
        } catch {
            logger.warning("consumer: could not collect the doorbell's claim at stop (\(error)); anything it took is restored once this worker is gone")
        }
    }

    private func promoteDueMessages(_ connection: RedisConnection) throws {
        _ = try BrokerScripts.promote.evaluate(
            on: connection, keys: [CeleryKeys.scheduled, CeleryKeys.scheduledMessages],
            arguments: [FixedPoint.text(Date().timeIntervalSince1970, places: 6), 500])
    }

    /// At start-up: marks this run alive, then restores at once what earlier runs under the
    /// same node name still hold when they are certainly gone: on this host and their process
    /// no longer exists (a SIGKILLed worker restarted in place). A run still going (a warm
    /// shutdown overlapping its successor) keeps its messages; one on another host is judged
    /// by its liveness key as usual.
    private func takeBackFromPredecessor(_ connection: RedisConnection) throws {
        try markAlive(connection)
        let pattern = CeleryKeys.alivePrefix + Self.globEscaped(configuration.nodeName) + " *"
        var cursor = "0"
        repeat {
            let reply = try connection.command(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", 1000))
            cursor = reply.array?.first?.string ?? "0"
            for key in reply.array?.last?.array?.compactMap(\.string) ?? [] where key != CeleryKeys.alivePrefix + configuration.claimHolder {
                let pid = try connection.command(RedisCommand("GET", key)).string.flatMap { Int32($0) }
                if let pid, configuration.runsOnThisHost, kill(pid, 0) == -1, errno == ESRCH {
                    logger.info("A previous run of \(configuration.nodeName) (pid \(pid)) is gone; taking back what it held")
                    try connection.command(RedisCommand("DEL", key))
                }
            }
        } while cursor != "0"
        try recoverOrphans(connection, visibility: 0)
    }

    /// Sets this run's liveness key (the supervisor renews it every 2 s).
    private func markAlive(_ connection: RedisConnection) throws {
        try connection.command(RedisCommand("SET", CeleryKeys.alivePrefix + configuration.claimHolder, String(getpid()),
                                            "PX", Int(configuration.livenessSeconds * 1000)))
    }

    /// `text` with the glob characters of SCAN's MATCH escaped.
    static func globEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if "*?[]\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// Restores messages claimed at least `visibility` seconds ago whose holder stopped
    /// heartbeating (and very old ones claimed by other consumers).
    private func recoverOrphans(_ connection: RedisConnection, visibility: Double) throws {
        let restored = try BrokerScripts.recoverOrphans.evaluate(
            on: connection, keys: BrokerScripts.bookkeeping,
            arguments: [FixedPoint.text(Date().timeIntervalSince1970, places: 6), visibility,
                        configuration.foreignVisibilityTimeout, 1000, CeleryKeys.alivePrefix, configuration.claimHolder]).integer ?? 0
        if restored > 0 {
            logger.warning("Restored \(restored) unacknowledged message(s) held by workers that stopped (visibility timeout \(configuration.visibilityTimeout)s)")
        }
    }

    /// What ended a wait.
    private struct WaitOutcome {
        /// The reply of the express doorbell's claim, when it rang.
        var expressReply: RedisReply?
        /// Whether another doorbell rang.
        var otherRang = false
    }

    /// Blocks until a doorbell rings, credits arrive, or a scheduled message may be due.
    /// With `expressClaim`, the first doorbell is armed with that claim behind it.
    private func waitForWork(doorbells: inout [Doorbell], watchQueues: Bool,
                             expressClaim: (command: RedisCommand, stamp: String)?) throws -> WaitOutcome {
        var fds = [pollfd(fd: wakeUp.descriptor, events: Int16(POLLIN), revents: 0)]
        if watchQueues {
            for (offset, bell) in doorbells.enumerated() {
                try bell.arm(url: configuration.brokerURL, claim: offset == 0 ? expressClaim : nil)
                fds.append(pollfd(fd: bell.fileDescriptor, events: Int16(POLLIN), revents: 0))
            }
        }
        _ = poll(&fds, nfds_t(fds.count), 250)
        if fds[0].revents != 0 {
            wakeUp.drain()
        }
        var outcome = WaitOutcome()
        if watchQueues {
            for (offset, bell) in doorbells.enumerated() where fds[offset + 1].revents != 0 {
                let heard = try bell.collect()
                if offset == 0, let reply = heard.claimReply {
                    outcome.expressReply = reply
                } else if heard.rang && !(offset == 0 && bell.carriesClaim) {
                    outcome.otherRang = true
                }
            }
        }
        return outcome
    }
}

/// The claim stamps the claimer's thread gave out; that thread's alone.
private struct ClaimStamps {
    /// The last claim stamp given out (each claim is scored with a stamp of its own).
    private var last = 0.0
    /// Stamps of claims sent whose reply was lost with the connection.
    var unsettled: [String] = []

    /// A claim stamp: the time in microseconds, later than every stamp before it, so that the
    /// deliveries of one claim can be found by it.
    mutating func next() -> String {
        last = max(Date().timeIntervalSince1970, last + 0.000_001)
        return FixedPoint.text(last, places: 6)
    }
}

import Dispatch
import FoundationEssentials
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A pub/sub connection on its own thread that fans messages out to handlers.
///
/// The thread waits in `poll` on the Redis socket and a wake-up pipe, so
/// subscriptions can be added while it waits. After a reconnect every channel
/// is subscribed again, and each handler hears `.subscribed` (or `.current`) again:
/// a result waiter takes that as its cue to re-read the key it waits for.
///
/// A subscription can name a key to read once the server confirms it: the thread
/// reads it itself (one pipelined `GET` on a second connection for all the
/// confirmations of one read), so a waiter hears the key's value and any later
/// message without ever being woken for the confirmation alone.
/// Subscribing to a new channel writes the `SUBSCRIBE` from the caller's thread
/// (the connection is only used holding `shared`'s lock), so the thread is not woken to
/// send it; unsubscribing does not wake it either: the `UNSUBSCRIBE` goes out with
/// the next subscription, or within a second.
package final class RedisSubscriber: Sendable {
    /// What a subscription handler hears.
    package enum Event: Sendable {
        /// The server confirmed the subscription; messages published from now on arrive.
        /// A subscription that names a key hears this only when the key could not be read.
        case subscribed
        /// The server confirmed the subscription, and the named key then held this value (`nil`: no key).
        case current([UInt8]?)
        /// A message on the channel (or on a channel matching the pattern).
        case message(channel: String, payload: [UInt8])
        /// The subscription's time limit passed; it stays subscribed until unsubscribed.
        case expired
    }

    private struct Subscription: Sendable {
        let handler: Handler
        let readKey: String?
    }

    private struct Deadline: Sendable {
        let token: Token
        let uptimeNanoseconds: UInt64
    }

    /// A handler, called on the subscriber's thread; it must return quickly.
    package typealias Handler = @Sendable (Event) -> Void

    /// Identifies one subscription for `unsubscribe`.
    package struct Token: Hashable, Sendable {
        fileprivate let topic: Topic
        fileprivate let number: Int
    }

    fileprivate struct Topic: Hashable, Sendable {
        let name: String
        let isPattern: Bool
    }

    /// What subscribers and the thread share.
    private struct Shared {
        var handlers: [Topic: [Int: Subscription]] = [:]
        var confirmed: Set<Topic> = []
        var wanted: Set<Topic> = []
        var sent: Set<Topic> = []
        var newcomers: [(Topic, Subscription)] = []
        var deadlines: [Deadline] = []
        /// The thread's connection while it is up: subscribing writes to it directly.
        var live: RedisConnection?
        /// When the thread's current `poll` times out (uptime nanoseconds).
        var pollingUntil: UInt64 = 0
        var nextNumber = 0
        var stopped = false

        /// Sends SUBSCRIBE for channels wanted and not sent, UNSUBSCRIBE for channels sent and no
        /// longer wanted; true when it wrote anything.
        @discardableResult
        mutating func writeSubscriptionChanges(on connection: RedisConnection) throws -> Bool {
            let add = wanted.subtracting(sent)
            let remove = sent.subtracting(wanted)
            guard !add.isEmpty || !remove.isEmpty else { return false }
            for topic in add {
                try connection.append(RedisCommand(topic.isPattern ? "PSUBSCRIBE" : "SUBSCRIBE", topic.name))
            }
            for topic in remove {
                try connection.append(RedisCommand(topic.isPattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", topic.name))
            }
            try connection.flush()
            sent = wanted
            for topic in remove { confirmed.remove(topic) }
            return true
        }
    }

    private let url: RedisURL
    private let logger: Logger
    private let shared = Mutex(Shared())
    private let wakeUp = WakePipe()

    /// Starts the subscriber's thread; it connects at once and keeps reconnecting.
    package init(url: RedisURL, name: String = "taskq.subscriber", logger: Logger) {
        self.url = url
        self.logger = logger
        PosixThread.start(name: name) { [self] in self.loop() }
    }

    /// Subscribes `handler` to a channel (or a glob pattern). With `readKey`, the handler
    /// hears `.current` with that key's value once the subscription is confirmed, instead
    /// of `.subscribed`. With `timeLimit`, it hears `.expired` once that much time has
    /// passed (the thread keeps the time: a waiter needs no timer task of its own).
    package func subscribe(_ name: String, pattern: Bool = false, readKey: String? = nil, timeLimit: Duration? = nil,
                           handler: @escaping Handler) -> Token {
        let topic = Topic(name: name, isPattern: pattern)
        let subscription = Subscription(handler: handler, readKey: readKey)
        // Capped at about 30 years, which keeps the sum far from overflowing.
        let due = timeLimit.map { DispatchTime.now().uptimeNanoseconds + UInt64(min(max(0, $0.seconds), 1e9) * 1e9) }
        let (token, needsThread): (Token, Bool) = shared.withLock { shared in
            shared.nextNumber += 1
            let token = Token(topic: topic, number: shared.nextNumber)
            shared.handlers[topic, default: [:]][shared.nextNumber] = subscription
            let isNew = !shared.sent.contains(topic)
            shared.wanted.insert(topic)
            shared.newcomers.append((topic, subscription))
            var needsThread = true
            if let due {
                shared.deadlines.append(Deadline(token: token, uptimeNanoseconds: due))
            }
            // A new channel is subscribed from here, on the thread's connection, without
            // waking the thread: it wakes on the confirmation. A channel already subscribed
            // needs the thread to greet the newcomer; an earlier time limit, a shorter poll.
            if isNew, let live = shared.live, (try? shared.writeSubscriptionChanges(on: live)) == true {
                needsThread = (due ?? .max) < shared.pollingUntil
            }
            return (token, needsThread)
        }
        if needsThread { wake() }
        return token
    }

    /// Removes one subscription; the channel is unsubscribed when its last handler goes,
    /// with the next subscription or within a second (the handler hears nothing more).
    package func unsubscribe(_ token: Token) {
        shared.withLock { shared in
            shared.handlers[token.topic]?[token.number] = nil
            if shared.handlers[token.topic]?.isEmpty == true {
                shared.handlers[token.topic] = nil
                shared.wanted.remove(token.topic)
            }
            if !shared.deadlines.isEmpty { shared.deadlines.removeAll { $0.token == token } }
        }
    }

    /// Stops the thread and closes the connection.
    package func stop() {
        shared.withLock { $0.stopped = true }
        wake()
    }

    private func wake() { wakeUp.wake() }

    private func loop() {
        var connection: RedisConnection?
        // The second connection that reads the keys subscriptions name; the thread's alone.
        var keyReader: RedisConnection?
        var backoff = 0.1
        var reportedOutage = false
        while !shared.withLock({ $0.stopped }) {
            do {
                if connection == nil {
                    let made = try RedisConnection(url: url, socketTimeout: nil)
                    connection = made
                    shared.withLock { shared in
                        shared.sent.removeAll()
                        shared.confirmed.removeAll()
                        shared.live = made
                    }
                    if reportedOutage { logger.info("reconnected to Redis", metadata: ["redis": "\(url)"]) }
                    backoff = 0.1
                    reportedOutage = false
                }
                try serve(connection!, keyReader: &keyReader)
            } catch {
                shared.withLock { shared in
                    shared.live = nil
                    connection?.close()
                }
                connection = nil
                if !reportedOutage {
                    logger.error("\(error); retrying with backoff")
                    reportedOutage = true
                }
                PosixThread.sleep(seconds: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
        shared.withLock { shared in
            shared.live = nil
            connection?.close()
        }
        keyReader?.close()
    }

    /// Runs one round: sync subscriptions, wait for input, dispatch replies.
    ///
    /// The connection is read and written only holding `shared`'s lock, so that `subscribe`
    /// can write to it from another thread.
    private func serve(_ connection: RedisConnection, keyReader: inout RedisConnection?) throws {
        let greet = try shared.withLock { shared -> [Subscription] in
            try shared.writeSubscriptionChanges(on: connection)
            let ready = shared.newcomers.filter { shared.confirmed.contains($0.0) }
            shared.newcomers.removeAll { shared.confirmed.contains($0.0) }
            return ready.map(\.1)
        }
        announce(greet, keyReader: &keyReader)

        var fds = [pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeUp.descriptor, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 2, pollTimeoutMilliseconds())
        expireDue()
        if ready <= 0 { return }
        if fds[1].revents != 0 { wakeUp.drain() }
        if fds[0].revents != 0 {
            let replies = try shared.withLock { _ -> [RedisReply] in
                try connection.readAvailable()
                var replies: [RedisReply] = []
                while let reply = try connection.bufferedReply() { replies.append(reply) }
                return replies
            }
            var confirmedNow: [Subscription] = []
            for reply in replies { dispatch(reply, confirmed: &confirmedNow) }
            announce(confirmedNow, keyReader: &keyReader)
        }
    }

    /// Up to a second, or until the nearest time limit.
    private func pollTimeoutMilliseconds() -> Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        return shared.withLock { shared in
            let nearest = shared.deadlines.lazy.map(\.uptimeNanoseconds).min() ?? .max
            let milliseconds = nearest <= now ? 0 : min(1000, (nearest - now + 999_999) / 1_000_000)
            shared.pollingUntil = now + milliseconds * 1_000_000
            return Int32(milliseconds)
        }
    }

    /// Tells the subscriptions whose time limit passed.
    private func expireDue() {
        let now = DispatchTime.now().uptimeNanoseconds
        let due: [Handler] = shared.withLock { shared in
            guard shared.deadlines.contains(where: { $0.uptimeNanoseconds <= now }) else { return [] }
            let passed = shared.deadlines.filter { $0.uptimeNanoseconds <= now }
            shared.deadlines.removeAll { $0.uptimeNanoseconds <= now }
            return passed.compactMap { shared.handlers[$0.token.topic]?[$0.token.number]?.handler }
        }
        for handler in due { handler(.expired) }
    }

    /// Tells confirmed subscriptions so: `.current` with their key's value (all keys read in
    /// one pipeline), or `.subscribed` when there is no key or it could not be read.
    private func announce(_ subscriptions: [Subscription], keyReader: inout RedisConnection?) {
        guard !subscriptions.isEmpty else { return }
        var keys: [String] = []
        for subscription in subscriptions {
            if let key = subscription.readKey, !keys.contains(key) { keys.append(key) }
        }
        let values = keys.isEmpty ? [:] : readKeys(keys, keyReader: &keyReader)
        for subscription in subscriptions {
            if let key = subscription.readKey, let value = values[key] {
                subscription.handler(.current(value))
            } else {
                subscription.handler(.subscribed)
            }
        }
    }

    /// The keys' values (missing key: `.some(nil)`), or an empty map when they could not be read.
    private func readKeys(_ keys: [String], keyReader: inout RedisConnection?) -> [String: [UInt8]?] {
        do {
            if keyReader == nil { keyReader = try RedisConnection(url: url, connectTimeout: 2, socketTimeout: 5) }
            let replies = try keyReader!.pipeline(keys.map { RedisCommand("GET", $0) })
            var values: [String: [UInt8]?] = [:]
            for (key, reply) in zip(keys, replies) {
                switch reply {
                case .null: values[key] = .some(nil)
                case .error: continue
                default: values[key] = .some(reply.bytes)
                }
            }
            return values
        } catch {
            keyReader?.close()
            keyReader = nil
            return [:]
        }
    }

    private func dispatch(_ reply: RedisReply, confirmed confirmedNow: inout [Subscription]) {
        guard let items = reply.array, let kind = items.first?.string else { return }
        switch kind {
        case "subscribe", "psubscribe":
            guard let name = items[safe: 1]?.string else { return }
            let topic = Topic(name: name, isPattern: kind == "psubscribe")
            confirmedNow += shared.withLock { shared in
                guard shared.wanted.contains(topic) else { return [] }
                shared.confirmed.insert(topic)
                shared.newcomers.removeAll { $0.0 == topic }
                return Array(shared.handlers[topic]?.values ?? [:].values)
            }
        case "message":
            guard let channel = items[safe: 1]?.string, let payload = items[safe: 2]?.bytes else { return }
            let targets = shared.withLock { Array($0.handlers[Topic(name: channel, isPattern: false)]?.values ?? [:].values) }
            for target in targets { target.handler(.message(channel: channel, payload: payload)) }
        case "pmessage":
            guard let pattern = items[safe: 1]?.string, let channel = items[safe: 2]?.string,
                  let payload = items[safe: 3]?.bytes else { return }
            let targets = shared.withLock { Array($0.handlers[Topic(name: pattern, isPattern: true)]?.values ?? [:].values) }
            for target in targets { target.handler(.message(channel: channel, payload: payload)) }
        default:
            return
        }
    }
}

extension Array {
    /// The element at `index`, or `nil` when it is out of range.
    package subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}

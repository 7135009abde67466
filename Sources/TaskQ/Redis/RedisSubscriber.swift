import FoundationEssentials
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A pub/sub connection on its own thread that fans messages out to handlers.
///
/// The thread waits in `poll` on the Redis socket and a wake-up pipe, so
/// subscriptions can be added while it waits. After a reconnect every channel
/// is subscribed again, and each handler hears `.subscribed` again: a result
/// waiter takes that as its cue to re-read the key it waits for.
package final class RedisSubscriber: @unchecked Sendable {
    /// What a subscription handler hears.
    package enum Event: Sendable {
        /// The server confirmed the subscription; messages published from now on arrive.
        case subscribed
        /// A message on the channel (or on a channel matching the pattern).
        case message(channel: String, payload: [UInt8])
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

    private let url: RedisURL
    private let logger: Logger
    // Guarded by `lock`.
    private let lock = PosixLock()
    private var handlers: [Topic: [Int: Handler]] = [:]
    private var confirmed: Set<Topic> = []
    private var wanted: Set<Topic> = []
    private var sent: Set<Topic> = []
    private var newcomers: [(Topic, Handler)] = []
    private var nextNumber = 0
    private var stopped = false
    private let wakeUp = WakePipe()

    /// Starts the subscriber's thread; it connects at once and keeps reconnecting.
    package init(url: RedisURL, name: String = "taskq.subscriber", logger: Logger) {
        self.url = url
        self.logger = logger
        PosixThread.start(name: name) { [self] in self.loop() }
    }

    /// Subscribes `handler` to a channel (or a glob pattern).
    package func subscribe(_ name: String, pattern: Bool = false, handler: @escaping Handler) -> Token {
        let topic = Topic(name: name, isPattern: pattern)
        let token: Token = lock.withLock {
            nextNumber += 1
            handlers[topic, default: [:]][nextNumber] = handler
            wanted.insert(topic)
            newcomers.append((topic, handler))
            return Token(topic: topic, number: nextNumber)
        }
        wake()
        return token
    }

    /// Removes one subscription; the channel is unsubscribed when its last handler goes.
    package func unsubscribe(_ token: Token) {
        lock.withLock {
            handlers[token.topic]?[token.number] = nil
            if handlers[token.topic]?.isEmpty == true {
                handlers[token.topic] = nil
                wanted.remove(token.topic)
            }
        }
        wake()
    }

    /// Stops the thread and closes the connection.
    package func stop() {
        lock.withLock { stopped = true }
        wake()
    }

    private func wake() { wakeUp.wake() }

    private func loop() {
        var connection: RedisConnection?
        var backoff = 0.1
        var reportedOutage = false
        while !lock.withLock({ stopped }) {
            do {
                if connection == nil {
                    connection = try RedisConnection(url: url, socketTimeout: nil)
                    lock.withLock {
                        sent.removeAll()
                        confirmed.removeAll()
                    }
                    if reportedOutage { logger.info("reconnected to Redis", metadata: ["redis": "\(url)"]) }
                    backoff = 0.1
                    reportedOutage = false
                }
                try serve(connection!)
            } catch {
                connection?.close()
                connection = nil
                if !reportedOutage {
                    logger.error("\(error); retrying with backoff")
                    reportedOutage = true
                }
                PosixThread.sleep(seconds: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
        connection?.close()
    }

    /// Runs one round: sync subscriptions, wait for input, dispatch replies.
    private func serve(_ connection: RedisConnection) throws {
        let (toSubscribe, toUnsubscribe, greet) = lock.withLock { () -> ([Topic], [Topic], [(Topic, Handler)]) in
            let add = wanted.subtracting(sent)
            let remove = sent.subtracting(wanted)
            sent = wanted
            for topic in remove { confirmed.remove(topic) }
            let ready = newcomers.filter { confirmed.contains($0.0) }
            newcomers.removeAll { confirmed.contains($0.0) }
            return (Array(add), Array(remove), ready)
        }
        for (_, handler) in greet { handler(.subscribed) }
        for topic in toSubscribe {
            try connection.append(RedisCommand(topic.isPattern ? "PSUBSCRIBE" : "SUBSCRIBE", topic.name))
        }
        for topic in toUnsubscribe {
            try connection.append(RedisCommand(topic.isPattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", topic.name))
        }
        if !toSubscribe.isEmpty || !toUnsubscribe.isEmpty { try connection.flush() }

        var fds = [pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeUp.descriptor, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 2, 1000)
        if ready <= 0 { return }
        if fds[1].revents != 0 { wakeUp.drain() }
        if fds[0].revents != 0 {
            try connection.readAvailable()
            while let reply = try connection.bufferedReply() { dispatch(reply) }
        }
    }

    private func dispatch(_ reply: RedisReply) {
        guard let items = reply.array, let kind = items.first?.string else { return }
        switch kind {
        case "subscribe", "psubscribe":
            guard let name = items[safe: 1]?.string else { return }
            let topic = Topic(name: name, isPattern: kind == "psubscribe")
            let targets: [Handler] = lock.withLock {
                guard wanted.contains(topic) else { return [] }
                confirmed.insert(topic)
                newcomers.removeAll { $0.0 == topic }
                return Array(handlers[topic]?.values ?? [:].values)
            }
            for handler in targets { handler(.subscribed) }
        case "message":
            guard let channel = items[safe: 1]?.string, let payload = items[safe: 2]?.bytes else { return }
            let targets = lock.withLock { Array(handlers[Topic(name: channel, isPattern: false)]?.values ?? [:].values) }
            for handler in targets { handler(.message(channel: channel, payload: payload)) }
        case "pmessage":
            guard let pattern = items[safe: 1]?.string, let channel = items[safe: 2]?.string,
                  let payload = items[safe: 3]?.bytes else { return }
            let targets = lock.withLock { Array(handlers[Topic(name: pattern, isPattern: true)]?.values ?? [:].values) }
            for handler in targets { handler(.message(channel: channel, payload: payload)) }
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

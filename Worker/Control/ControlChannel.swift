import FoundationEssentials
import Logging
import TaskQ

/// The worker's end of Celery's pidbox: hears broadcasts, sends replies.
final class ControlChannel: Sendable {
    private let subscriber: RedisSubscriber
    private let replies: RedisClient
    private let node: String
    private let logger: Logger

    /// Subscribes to `/{db}.celery.pidbox` and posts each command meant for `node`.
    init(url: RedisURL, node: String, logger: Logger, onRequest: @escaping @Sendable (ControlRequest) -> Void) {
        self.node = node
        self.logger = logger
        subscriber = RedisSubscriber(url: url, name: "taskq.control", logger: logger)
        replies = RedisClient(url: url, name: "taskq.control.replies")
        _ = subscriber.subscribe(CeleryKeys.pidboxChannel(database: url.database), pattern: true) { event in
            guard case .message(_, let payload) = event else { return }
            do {
                let request = try ControlRequest(envelope: payload)
                if request.isFor(node) { onRequest(request) }
            } catch {
                logger.warning("ignored an unreadable control message: \(error)")
            }
        }
    }

    /// Sends `{node: value}` to the caller's reply queue, found through kombu's binding set.
    func reply(to request: ControlRequest, value: JSONValue, clock: Int) {
        guard let routingKey = request.replyTo, let ticket = request.ticket else { return }
        let envelope = ControlEnvelope.reply(node: node, value: value, ticket: ticket, routingKey: routingKey, clock: clock)
        let logger = self.logger
        let replies = self.replies
        Task {
            do {
                try await replies.withConnection { connection in
                    let members = try connection.command(RedisCommand("SMEMBERS", "_kombu.binding.\(ControlEnvelope.replyExchange)")).array ?? []
                    for member in members {
                        let parts = (member.string ?? "").split(separator: CeleryKeys.separator, omittingEmptySubsequences: false).map(String.init)
                        guard parts.count == 3, parts[0] == routingKey else { continue }
                        try connection.command(RedisCommand("LPUSH", parts[2], envelope))
                    }
                }
            } catch {
                logger.warning("cannot send the reply to '\(request.method)': \(error)")
            }
        }
    }

    /// Stops listening.
    func stop() {
        subscriber.stop()
    }
}

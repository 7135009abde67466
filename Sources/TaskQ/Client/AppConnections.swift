import FoundationEssentials
import Logging
import Synchronization

/// The app's Redis connections, made on first use: broker, result backend, result subscriber.
final class AppConnections: Sendable {
    private struct Made {
        var brokerClient: RedisClient?
        var backendClient: RedisClient?
        var resultSubscriber: RedisSubscriber?
    }

    private let brokerURL: String
    private let backendURL: String
    private let logger: Logger
    private let made = Mutex(Made())

    init(brokerURL: String, backendURL: String, logger: Logger) {
        self.brokerURL = brokerURL
        self.backendURL = backendURL
        self.logger = logger
    }

    deinit { made.withLock { $0.resultSubscriber }?.stop() }

    /// The broker connection.
    func broker() throws -> RedisClient {
        try made.withLock { made in
            if let brokerClient = made.brokerClient { return brokerClient }
            let client = RedisClient(url: try Self.parse(brokerURL, "broker"), name: "taskq.broker", direct: true, spins: true)
            made.brokerClient = client
            return client
        }
    }

    /// The result backend connection.
    func backend() throws -> RedisClient {
        try made.withLock { made in
            if let backendClient = made.backendClient { return backendClient }
            let client = RedisClient(url: try Self.parse(backendURL, "result backend"), name: "taskq.backend", direct: true)
            made.backendClient = client
            return client
        }
    }

    /// The subscriber that waits for result PUBLISHes.
    func subscriber() throws -> RedisSubscriber {
        try made.withLock { made in
            if let resultSubscriber = made.resultSubscriber { return resultSubscriber }
            let subscriber = RedisSubscriber(url: try Self.parse(backendURL, "result backend"), name: "taskq.results", logger: logger)
            made.resultSubscriber = subscriber
            return subscriber
        }
    }

    private static func parse(_ text: String, _ role: String) throws -> RedisURL {
        do {
            return try RedisURL(text)
        } catch {
            throw TaskQError.configuration("\(role): \(error)")
        }
    }
}

import FoundationEssentials
import Logging

/// The app's Redis connections, made on first use: broker, result backend, result subscriber.
final class AppConnections: @unchecked Sendable {
    private let brokerURL: String
    private let backendURL: String
    private let logger: Logger
    // Guarded by `lock`.
    private let lock = PosixLock()
    private var brokerClient: RedisClient?
    private var backendClient: RedisClient?
    private var resultSubscriber: RedisSubscriber?

    init(brokerURL: String, backendURL: String, logger: Logger) {
        self.brokerURL = brokerURL
        self.backendURL = backendURL
        self.logger = logger
    }

    deinit { resultSubscriber?.stop() }

    /// The broker connection.
    func broker() throws -> RedisClient {
        try lock.withLock {
            if let brokerClient { return brokerClient }
            let client = RedisClient(url: try Self.parse(brokerURL, "broker"), name: "taskq.broker", direct: true, spins: true)
            brokerClient = client
            return client
        }
    }

    /// The result backend connection.
    func backend() throws -> RedisClient {
        try lock.withLock {
            if let backendClient { return backendClient }
            let client = RedisClient(url: try Self.parse(backendURL, "result backend"), name: "taskq.backend", direct: true)
            backendClient = client
            return client
        }
    }

    /// The subscriber that waits for result PUBLISHes.
    func subscriber() throws -> RedisSubscriber {
        try lock.withLock {
            if let resultSubscriber { return resultSubscriber }
            let subscriber = RedisSubscriber(url: try Self.parse(backendURL, "result backend"), name: "taskq.results", logger: logger)
            resultSubscriber = subscriber
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

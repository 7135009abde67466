import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import TaskQ

/// `taskq monitor`: the dashboard, the Flower-compatible API, live events and metrics.
public struct MonitorServer: Sendable {
    let configuration: MonitorConfiguration
    let logger: Logger

    /// Prepares a monitor; `run()` serves it.
    public init(configuration: MonitorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Builds the application (also used by tests to serve on a chosen port).
    public func makeApplication() throws -> some ApplicationProtocol {
        try configuration.validate()
        let descriptors = DescriptorLimit.raise()
        if descriptors > 0 && descriptors < configuration.maxConnections + 64 {
            logger.warning("Monitor: only \(descriptors) open files allowed (ulimit -n); --max-connections \(configuration.maxConnections) cannot be reached")
        }
        let store = MonitorStore(brokerURL: configuration.brokerURL, backendURL: configuration.backendURL)
        let live = LiveEvents(url: configuration.brokerURL, logger: logger)
        let client = App("taskq-monitor", broker: configuration.brokerURL.unmasked,
                         backend: configuration.backendURL.unmasked, logger: logger)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        if let auth = configuration.basicAuth {
            router.add(middleware: BasicAuthMiddleware(user: auth.user, password: auth.password))
        }
        if configuration.basicAuth == nil || !configuration.allowedHosts.isEmpty {
            router.add(middleware: HostCheckMiddleware(allowed: configuration.allowedHosts))
        }
        router.add(middleware: CrossSiteMiddleware())
        APIRoutes(store: store, app: client, live: live).register(on: router)
        ScheduleRoutes(schedules: ScheduleStore(redis: store.broker)).register(on: router)
        PageRoutes(store: store, live: live).register(on: router)
        let connections = ConnectionGuard(limit: configuration.maxConnections, logger: logger)
        // The idle timeout also bounds how long a client may take to send its request headers.
        let http = HTTP1Channel.Configuration(additionalChannelHandlers: [connections.handler()],
                                              idleTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1_000_000_000)))
        return Application(
            responder: HeadResponder(base: router.buildResponder()),
            server: .http1(configuration: http),
            configuration: .init(address: .hostname(configuration.address, port: configuration.port), serverName: "taskq-monitor"),
            onServerRunning: { [logger, configuration] channel in
                logger.info("Monitor listening on http://\(configuration.address):\(channel.localAddress?.port ?? configuration.port) (broker \(configuration.brokerURL))")
            },
            logger: logger)
    }

    /// Serves until SIGTERM/SIGINT.
    public func run() async throws {
        try await makeApplication().runService()
    }
}


import Foundation
import Hummingbird
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
        let store = MonitorStore(brokerURL: configuration.brokerURL, backendURL: configuration.backendURL)
        let live = LiveEvents(url: configuration.brokerURL, logger: logger)
        let client = App("taskq-monitor", broker: configuration.brokerURL.unmasked,
                         backend: configuration.backendURL.unmasked, logger: logger)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        if let auth = configuration.basicAuth {
            router.add(middleware: BasicAuthMiddleware(user: auth.user, password: auth.password))
        }
        router.add(middleware: CrossSiteMiddleware())
        APIRoutes(store: store, app: client, live: live).register(on: router)
        PageRoutes(store: store, live: live).register(on: router)
        return Application(
            router: router,
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


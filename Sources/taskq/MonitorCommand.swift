import ArgumentParser
import Foundation
import Logging
import TaskQ
import TaskQWorkerCommand
import TaskQMonitor

/// `taskq monitor --port 5555 --basic-auth admin:secret`
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor", abstract: "Serve the web dashboard and the Flower-compatible HTTP API.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Port to listen on (default 5555).")
    var port: Int = 5555

    @Option(help: "Address to bind (default 127.0.0.1; others need --basic-auth or --unsafe-no-auth).")
    var address: String = "127.0.0.1"

    @Option(name: .customLong("basic-auth"), help: "user:password for HTTP basic auth (default: $TASKQ_MONITOR_AUTH).")
    var basicAuth: String?

    @Flag(name: .customLong("unsafe-no-auth"), help: "Allow a non-loopback address without authentication.")
    var unsafeNoAuth = false

    @Option(name: .customLong("allowed-hosts"), help: "Comma-separated host names answered besides localhost/127.0.0.1/[::1] when there is no auth (DNS-rebinding guard).")
    var allowedHosts: String = ""

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may take to send its request headers or stay idle (default 10).")
    var idleTimeout: Double = 10

    @Option(name: .customLong("max-connections"), help: "Connections served at once; past it the oldest still sending headers is closed (default 1000).")
    var maxConnections: Int = 1_000

    @Option(name: [.short, .customLong("loglevel")], help: "debug, info, warning, error or critical.")
    var loglevel: String = "info"

    func run() async throws {
        _ = try LogSetup.bootstrap(level: loglevel)
        let auth = basicAuth ?? ProcessInfo.processInfo.environment["TASKQ_MONITOR_AUTH"]
        do {
            var configuration = MonitorConfiguration(
                brokerURL: try RedisURL(connection.brokerString), backendURL: try RedisURL(connection.backendString),
                address: address, port: port, basicAuth: try auth.map(MonitorConfiguration.parseAuth), unsafeNoAuth: unsafeNoAuth)
            configuration.allowedHosts = allowedHosts.split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty }
            configuration.idleTimeout = idleTimeout
            configuration.maxConnections = maxConnections
            try configuration.validate()
            try await MonitorServer(configuration: configuration, logger: Logger(label: "taskq.monitor")).run()
        } catch let error as MonitorError {
            throw ValidationError(error.message)
        }
    }
}

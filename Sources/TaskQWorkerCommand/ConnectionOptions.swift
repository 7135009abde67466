import ArgumentParser
import FoundationEssentials
import TaskQ

/// `--broker` / `--result-backend`, defaulting to the environment like the library does.
package struct ConnectionOptions: ParsableArguments {
    package init() {}

    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: $TASKQ_BROKER_URL or redis://127.0.0.1:6379/0).")
    package var broker: String?

    @Option(name: .customLong("result-backend"), help: "Result backend URL (default: $TASKQ_RESULT_BACKEND or the broker).")
    package var resultBackend: String?

    package var brokerString: String {
        broker ?? ProcessInfo.processInfo.environment["TASKQ_BROKER_URL"] ?? "redis://127.0.0.1:6379/0"
    }

    package var backendString: String {
        resultBackend ?? ProcessInfo.processInfo.environment["TASKQ_RESULT_BACKEND"] ?? brokerString
    }

    /// A client app for sending and reading results.
    package func clientApp(format: MessageFormat = .json) -> App {
        App("taskq", broker: brokerString, backend: backendString, format: format)
    }
}

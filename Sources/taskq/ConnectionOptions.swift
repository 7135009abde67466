import ArgumentParser
import Foundation
import TaskQ

/// `--broker` / `--result-backend`, defaulting to the environment like the library does.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: $TASKQ_BROKER_URL or redis://127.0.0.1:6379/0).")
    var broker: String?

    @Option(name: .customLong("result-backend"), help: "Result backend URL (default: $TASKQ_RESULT_BACKEND or the broker).")
    var resultBackend: String?

    var brokerString: String {
        broker ?? ProcessInfo.processInfo.environment["TASKQ_BROKER_URL"] ?? "redis://127.0.0.1:6379/0"
    }

    var backendString: String {
        resultBackend ?? ProcessInfo.processInfo.environment["TASKQ_RESULT_BACKEND"] ?? brokerString
    }

    /// A client app for sending and reading results.
    func clientApp() -> App {
        App("taskq", broker: brokerString, backend: backendString)
    }
}

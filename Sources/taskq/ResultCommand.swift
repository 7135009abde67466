import ArgumentParser
import Foundation
import TaskQ
import TaskQWorkerCommand

/// `taskq result <id> [--wait]`
struct ResultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result", abstract: "Print a task's state, or with --wait its result.")

    @Argument(help: "The task id.")
    var id: String

    @Flag(help: "Wait until the task finishes and print its result.")
    var wait = false

    @Option(help: "Seconds to wait with --wait (default 30).")
    var timeout: Double = 30

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let result = connection.clientApp().asyncResult(id)
        if wait {
            try await ResultPrinter.printOutcome(of: result, timeout: timeout)
            return
        }
        let state = try await result.state
        print(state)
        if state.isReady {
            try await ResultPrinter.printOutcome(of: result, timeout: 1)
        }
    }
}

import ArgumentParser
import Foundation
import TaskQ
import TaskQWorkerCommand

/// `taskq call tasks.add --args '[2,3]' --wait`
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Send a task by name; print its id, or with --wait its result.")

    @Argument(help: "The task name, e.g. tasks.add.")
    var name: String

    @Option(help: "Positional arguments as a JSON array.")
    var args: String = "[]"

    @Option(help: "Keyword arguments as a JSON object.")
    var kwargs: String = "{}"

    @Option(help: "The queue to send to (default: celery).")
    var queue: String?

    @Option(help: "Run no earlier than this many seconds from now.")
    var countdown: Double?

    @Option(help: "Message priority 0-9 (on Redis, lower runs first).")
    var priority: Int?

    @Flag(help: "Wait for the result and print it.")
    var wait = false

    @Option(help: "Seconds to wait with --wait (default 30).")
    var timeout: Double = 30

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup(title: "Message format and signing") var messageFormat: ClientFormatOptions

    func run() async throws {
        guard let positional = try? JSONValue.parse(args).arrayValue else {
            throw ValidationError("--args must be a JSON array, e.g. '[2, 3]'")
        }
        guard let keywords = try? JSONValue.parse(kwargs).objectValue else {
            throw ValidationError("--kwargs must be a JSON object, e.g. '{\"x\": 1}'")
        }
        let app = connection.clientApp(format: try messageFormat.format())
        let options = SendOptions(countdown: countdown.map { .milliseconds(Int($0 * 1000)) }, queue: queue, priority: priority)
        let result = try await app.sendTask(name, args: positional, kwargs: keywords, options: options)
        guard wait else {
            print(result.id)
            return
        }
        try await ResultPrinter.printOutcome(of: result, timeout: timeout)
    }
}

/// Prints a finished task's value, or its failure and exit code 1.
enum ResultPrinter {
    static func printOutcome(of result: AsyncResult<JSONValue>, timeout: Double) async throws {
        switch try await result.get(timeout: .milliseconds(Int(timeout * 1000)), propagate: false) {
        case .success(let value):
            print(value.jsonText)
        case .failure(let failure):
            FileHandle.standardError.write(Data("\(failure.state): \(failure.exception)\n\(failure.traceback ?? "")".utf8))
            throw ExitCode(1)
        }
    }
}

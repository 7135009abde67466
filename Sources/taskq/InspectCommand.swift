import ArgumentParser
import Foundation
import TaskQ
import TaskQWorkerCommand

/// `taskq inspect active|registered|stats|ping|reserved|revoked|active_queues`
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Ask running workers (TaskQ or Celery) about themselves over Celery's pidbox.")

    @Argument(help: "active, registered, stats, ping, reserved, scheduled, revoked, active_queues or conf.")
    var method: String

    @Option(name: [.short, .customLong("destination")], help: "Comma-separated node names (default: every worker).")
    var destination: String?

    @Option(help: "Seconds to wait for replies (default 1).")
    var timeout: Double = 1

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let app = connection.clientApp()
        let targets = destination?.split(separator: ",").map(String.init)
        let replies = try await app.control.inspect(method, destination: targets, timeout: timeout)
        guard !replies.isEmpty else {
            FileHandle.standardError.write(Data("Error: No nodes replied within time constraint.\n".utf8))
            throw ExitCode(69)
        }
        for node in replies.keys.sorted() {
            print("-> \(node): OK")
            print("    " + Self.pretty(replies[node]!).replacingOccurrences(of: "\n", with: "\n    "))
        }
        print("\n\(replies.count) node\(replies.count == 1 ? "" : "s") online.")
    }

    static func pretty(_ value: JSONValue) -> String {
        guard let data = try? JSONSerialization.jsonObject(with: Data(value.serialized()), options: [.fragmentsAllowed]),
              let text = try? JSONSerialization.data(withJSONObject: data, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed]) else {
            return value.jsonText
        }
        return String(decoding: text, as: UTF8.self)
    }
}

import ArgumentParser
import Foundation
import Logging
import TaskQ
import TaskQWorkerCommand

/// `taskq events`: a live tail of Celery events, like `celery events --dump`.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print events from workers as they happen (like 'celery events --dump').")

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .customLong("json"), help: "Print each event as one JSON line.")
    var json = false

    func run() async throws {
        let url = try RedisURL(connection.brokerString)
        let subscriber = RedisSubscriber(url: url, name: "taskq.events", logger: Logger(label: "taskq.events"))
        let asJSON = json
        _ = subscriber.subscribe(CeleryKeys.eventChannel(database: url.database, routingKey: "*"), pattern: true) { event in
            guard case .message(_, let payload) = event, let opened = try? ControlEnvelope.open(payload) else { return }
            let lines = (opened.body.arrayValue ?? [opened.body]).map { asJSON ? $0.jsonText : Self.describe($0) }
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        FileHandle.standardError.write(Data("-> taskq events: listening on \(url) (Ctrl-C to stop)\n".utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    /// One readable line: `06:10:00.123 celery@vm task-succeeded tasks.add[id] result=5 runtime=0.001`.
    static func describe(_ event: JSONValue) -> String {
        let time = event["timestamp"]?.doubleValue.map { stamp -> String in
            let formatter = DateFormatter()
            formatter.dateFormat = "HH:mm:ss.SSS"
            return formatter.string(from: Date(timeIntervalSince1970: stamp))
        } ?? ""
        var line = "\(time) \(event["hostname"]?.stringValue ?? "?") \(event["type"]?.stringValue ?? "?")"
        if let uuid = event["uuid"]?.stringValue { line += " \(event["name"]?.stringValue ?? "")[\(uuid)]" }
        let skip: Set = ["type", "hostname", "timestamp", "uuid", "name", "utcoffset", "pid", "clock", "local_received"]
        for key in (event.objectValue ?? [:]).keys.sorted() where !skip.contains(key) {
            line += " \(key)=\(event[key]?.stringValue ?? event[key]?.jsonText ?? "")"
        }
        return line
    }
}

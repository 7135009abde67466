import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension App {
    /// Hands control to TaskQ: serves a worker as a pool child when started by one,
    /// otherwise runs the app's own small command line (`list`, `call`).
    public func run(arguments: [String] = CommandLine.arguments) async throws {
        if ProcessInfo.processInfo.environment["TASKQ_CHILD"] == "1" {
            await ChildServer.serve(app: self)
        }
        do {
            try await AppCommandLine(app: self).run(Array(arguments.dropFirst()))
        } catch {
            // A person at a terminal reads this: one line, no stack dump.
            let line = Array("error: \(error)\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            exit(1)
        }
    }
}

/// The app executable's own command line, for a person at a terminal.
struct AppCommandLine {
    let app: App

    func run(_ arguments: [String]) async throws {
        switch arguments.first {
        case nil, "list":
            print("Tasks registered in \(app.name):")
            for task in app.registry.all where !task.name.hasPrefix("celery.") {
                let details = WorkerTaskOptions(task.options).json.objectValue?.filter { !$0.value.isNull && $0.key != "rejectOnWorkerLost" && $0.key != "ignoreResult" } ?? [:]
                let suffix = details.isEmpty ? "" : " [" + details.keys.sorted().map { "\($0)=\(details[$0]!.jsonText)" }.joined(separator: ", ") + "]"
                print("  . \(task.name)\(suffix)")
            }
            print("\nRun them with: taskq worker -A \(CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? app.name)")
            print("Send one with: \(CommandLine.arguments.first ?? app.name) call NAME '[args]' ['{kwargs}']")
        case "call":
            guard arguments.count >= 2 else {
                throw TaskQError.configuration("usage: call NAME '[args]' ['{kwargs}']")
            }
            let args = try arguments.count > 2 ? JSONValue.parse(arguments[2]).arrayValue ?? [] : []
            let kwargs = try arguments.count > 3 ? JSONValue.parse(arguments[3]).objectValue ?? [:] : [:]
            let result = try await app.sendTask(arguments[1], args: args, kwargs: kwargs)
            print(try await result.get(timeout: .seconds(30)).jsonText)
        default:
            throw TaskQError.configuration("unknown command '\(arguments[0])'; use 'list' or 'call'")
        }
    }
}

import ArgumentParser
import Foundation
import TaskQ
import TaskQWorkerCommand

/// `taskq beat add NAME --task T (--every S | --crontab "m h dom mon dow") …`
struct BeatAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a periodic entry at run time; a running beat sends it without a restart.")

    @Argument(help: "The entry's name.")
    var name: String

    @Option(help: "The task to send, e.g. tasks.report.")
    var task: String

    @Option(help: "Run every this many seconds.")
    var every: Double?

    @Option(help: "Run at these times: \"minute hour day_of_month month_of_year day_of_week\", Celery's syntax.")
    var crontab: String?

    @Option(help: "The crontab's IANA time zone (default UTC).")
    var timezone: String = "UTC"

    @Option(help: "Positional arguments as a JSON array.")
    var args: String = "[]"

    @Option(help: "Keyword arguments as a JSON object.")
    var kwargs: String = "{}"

    @Option(help: "The queue (default celery).")
    var queue: String?

    @Option(help: "Message priority 0-9.")
    var priority: Int?

    @Option(help: "Seconds after sending that a message expires unrun.")
    var expires: Double?

    @Flag(help: "Replace a run-time entry of the same name.")
    var replace = false

    @OptionGroup var options: BeatStoreOptions

    func run() async throws {
        var schedule: [String: JSONValue] = [:]
        switch (every, crontab) {
        case (let seconds?, nil): schedule["every"] = .double(seconds)
        case (nil, let expression?): schedule = ["crontab": .string(expression), "timezone": .string(timezone)]
        default: throw ValidationError("give exactly one of --every SECONDS or --crontab \"m h dom mon dow\"")
        }
        let json: JSONValue = [
            "name": .string(name), "task": .string(task), "args": try Self.parse(args, "--args"), "kwargs": try Self.parse(kwargs, "--kwargs"),
            "schedule": .object(schedule), "source": "runtime",
            "options": ["queue": queue.map(JSONValue.string) ?? "celery", "priority": priority.map(JSONValue.int) ?? .null,
                        "expires": expires.map(JSONValue.double) ?? .null],
        ]
        do {
            let entry = try ScheduleEntry(json: json)
            try await options.store().add(entry, replace: replace)
            print("Added \(name): \(task), \(entry.timing.description)")
        } catch let error as ScheduleError {
            throw ValidationError("\(error)")
        } catch let error as ScheduleStoreError {
            throw ValidationError("\(error)")
        }
    }

    static func parse(_ text: String, _ flag: String) throws -> JSONValue {
        do { return try JSONValue.parse(text) } catch { throw ValidationError("\(flag) is not JSON: \(error)") }
    }
}

/// `taskq beat remove NAME`
struct BeatRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a periodic entry and its run records.")
    @Argument var name: String
    @OptionGroup var options: BeatStoreOptions

    func run() async throws {
        let store = try options.store()
        let source = try await store.status(name)?.entry.source
        guard try await store.remove(name) else { throw ValidationError("no periodic entry named \(name)") }
        print("Removed \(name)")
        if source == .code {
            print("Note: \(name) is defined in the app's code; the next beat started with -A syncs it back. Pause it to keep it from running, or remove it from the code.")
        }
    }
}

/// `taskq beat pause NAME`
struct BeatPauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Stop sending an entry until it is resumed.")
    @Argument var name: String
    @OptionGroup var options: BeatStoreOptions

    func run() async throws {
        guard try await options.store().setPaused(name, true) else { throw ValidationError("no periodic entry named \(name)") }
        print("Paused \(name)")
    }
}

/// `taskq beat resume NAME`
struct BeatResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Send a paused entry again, from its next slot after now.")
    @Argument var name: String
    @OptionGroup var options: BeatStoreOptions

    func run() async throws {
        guard try await options.store().setPaused(name, false) else { throw ValidationError("no periodic entry named \(name)") }
        print("Resumed \(name)")
    }
}

/// `taskq beat run-now NAME`
struct BeatRunNowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run-now", abstract: "Send one run of an entry now; its schedule is unchanged.")
    @Argument var name: String
    @OptionGroup var options: BeatStoreOptions

    func run() async throws {
        guard let id = try await options.store().runNow(name, origin: App.origin) else { throw ValidationError("no periodic entry named \(name)") }
        print("Sent \(name): task id \(id)")
    }
}

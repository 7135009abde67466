import Foundation
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// A real `taskq beat` process for a test, with its log captured; and the `taskq beat` CLI.
package final class BeatProcess: @unchecked Sendable {
    package let process = Process()
    package let logURL: URL
    package let url: RedisURL

    /// Starts `taskq beat --broker URL --loglevel=info` with extra arguments (e.g. `-A`, `--lease`).
    package init(url: RedisURL, arguments: [String] = []) throws {
        self.url = url
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("taskq-beat-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: try WorkerProcess.executable("taskq"))
        process.arguments = ["beat", "--broker", url.unmasked, "--loglevel=info"] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Everything it logged so far.
    package var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Its pid, as its beat id names it (`beat-<pid>@<host>`).
    package var pid: Int32 { process.processIdentifier }

    /// Whether it logged that it leads.
    package var leads: Bool { log.contains("beat: Leading") }

    /// How many sends of `entry` it logged.
    package func sends(of entry: String) -> Int {
        log.components(separatedBy: "Scheduler: Sending due task \(entry) (").count - 1
    }

    /// SIGTERM (it gives up its lease) and wait.
    package func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        _ = try? TestRedis.waitUntil(timeout: 20) { !self.process.isRunning }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL (its lease stays until it runs out).
    package func killHard() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs `taskq beat <arguments> --broker URL` to its end: exit status and output.
    package static func cli(_ url: RedisURL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: try WorkerProcess.executable("taskq"))
        process.arguments = ["beat"] + arguments + ["--broker", url.unmasked]
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// The `taskq_slot` headers (epoch ms) of the beat messages waiting in `list`, oldest first.
    package static func slots(in list: String, url: RedisURL) throws -> [Int] {
        let items = try TestRedis.command(url, RedisCommand("LRANGE", list, "0", "-1")).array ?? []
        return try items.reversed().map { item in
            let envelope = try JSONValue.parse(item.bytes ?? [])
            guard let slot = envelope["headers"]?["taskq_slot"]?.intValue else { throw TestSetupError("a message without taskq_slot: \(envelope.jsonText.prefix(300))") }
            return slot
        }
    }

    /// A field of an entry's runs hash.
    package static func runs(_ entry: String, _ field: String, url: RedisURL) throws -> Int {
        try TestRedis.command(url, RedisCommand("HGET", "taskq:beat:runs:\(entry)", field)).integer ?? 0
    }
}

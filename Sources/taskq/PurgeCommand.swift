import ArgumentParser
import Foundation
import TaskQ
import TaskQWorkerCommand

/// `taskq purge [-Q q] [--force]`: deletes waiting messages.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Delete every message waiting in the queues (asks first unless --force).")

    @Option(name: [.customShort("Q"), .customLong("queues")], help: "Comma-separated queues (default: celery).")
    var queues: String = "celery"

    @Flag(help: "Do not ask for confirmation.")
    var force = false

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let names = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let lists = names.flatMap(CeleryKeys.queueLists)
        let client = RedisClient(url: try RedisURL(connection.brokerString), name: "taskq.purge")
        let lengths = try await client.pipeline(lists.map { RedisCommand("LLEN", $0) }).map { $0.integer ?? 0 }
        let total = lengths.reduce(0, +)
        if !force {
            print("\(total) message(s) in \(names.joined(separator: ", ")) will be deleted. This cannot be undone. Continue? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("Nothing was deleted.")
                throw ExitCode(1)
            }
        }
        _ = try await client.pipeline(lists.map { RedisCommand("DEL", $0) })
        print("Purged \(total) message(s) from \(names.count) known task queue(s).")
    }
}

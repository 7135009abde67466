import ArgumentParser
import Foundation
import TaskQ
import TaskQWorkerCommand

/// `taskq bench single|batch|roundtrip -n 20000`: client-side figures against a live Redis.
///
/// Prints one JSON object on stdout (for `Benchmarks/bench.py`) and a human line on stderr.
/// `batch` with `--id-prefix` also fills a queue with messages whose ids and expected
/// results are known: task `<prefix>-<i>` is `tasks.add(i, i)`, expected `2 * i`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sending and round trips: one at a time, pipelined batches, or delay().get() in sequence.")

    @Argument(help: "single (one LPUSH per send), batch (pipelined sendBatch) or roundtrip (send, then wait for the result).")
    var mode: BenchMode

    @Option(name: [.customShort("n"), .long], help: "Number of tasks (default 20000).")
    var count: Int = 20_000

    @Option(help: "The task to send (default tasks.add).")
    var task: String = "tasks.add"

    @Option(help: "Fixed positional arguments as a JSON array (default: [i, i] for the i-th call).")
    var args: String?

    @Option(help: "Give the i-th task the id <prefix>-<i> instead of a random UUID.")
    var idPrefix: String?

    @Option(help: "Messages per pipelined round trip in batch mode (default 1000).")
    var batchSize: Int = 1000

    @Flag(help: "Ask the worker not to store successful results.")
    var ignoreResult = false

    @Option(help: "Round trips before timing starts, in roundtrip mode (default 50).")
    var warmup: Int = 50

    @Option(help: "Seconds to wait for each result in roundtrip mode (default 30).")
    var timeout: Double = 30

    @Option(help: "The queue to send to (default: celery).")
    var queue: String?

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup(title: "Message format and signing") var messageFormat: ClientFormatOptions

    func validate() throws {
        guard count > 0 else { throw ValidationError("-n/--count must be positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        if let args, (try? JSONValue.parse(args).arrayValue) == nil {
            throw ValidationError("--args must be a JSON array, e.g. '[0.05]'")
        }
    }

    func run() async throws {
        let app = connection.clientApp(format: try messageFormat.format())
        let fixedArgs = args.flatMap { try? JSONValue.parse($0).arrayValue }
        let workload = BenchWorkload(task: task, fixedArgs: fixedArgs, idPrefix: idPrefix,
                                     options: SendOptions(queue: queue, ignoreResult: ignoreResult ? true : nil))
        let report: BenchReport
        switch mode {
        case .single:
            report = try await BenchRunner.sendOneAtATime(app: app, workload: workload, count: count)
        case .batch:
            report = try await BenchRunner.sendBatches(app: app, workload: workload, count: count, batchSize: batchSize)
        case .roundtrip:
            report = try await BenchRunner.roundTrips(app: app, workload: workload, count: count, warmup: warmup,
                                                      timeout: .milliseconds(Int(timeout * 1000)))
        }
        print(report.json)
        FileHandle.standardError.write(Data((report.summary + "\n").utf8))
    }
}

/// What `taskq bench` measures.
enum BenchMode: String, ExpressibleByArgument, CaseIterable {
    case single, batch, roundtrip
}

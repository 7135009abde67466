import Foundation
import TaskQ

extension Worker {
    /// Prints Celery's start-up banner: app, broker, results, concurrency, queues, tasks.
    func printBanner() {
        let executableName = URL(fileURLWithPath: configuration.executable).lastPathComponent
        let lines = [
            "",
            " -------------- \(configuration.nodeName) v\(TaskQVersion.current) (taskq)",
            "--- ***** ----- ",
            "-- ******* ---- \(ProcessInfo.processInfo.operatingSystemVersionString) \(CeleryTime.format(Date()).prefix(19).replacingOccurrences(of: "T", with: " "))",
            "- *** --- * --- ",
            "- ** ---------- [config]",
            "- ** ---------- .> app:         \(executableName) (\(configuration.executable))",
            "- ** ---------- .> transport:   \(configuration.brokerURL)",
            "- ** ---------- .> results:     \(configuration.backendURL)",
            "- *** --- * --- .> concurrency: \(configuration.concurrency) (prefork)",
            "-- ******* ---- .> task events: \(configuration.sendTaskEvents ? "ON" : "OFF (enable -E to monitor tasks in this worker)")",
            "--- ***** ----- ",
            " -------------- [queues]",
        ] + configuration.queues.map { "                .> \($0.padding(toLength: 16, withPad: " ", startingAt: 0)) exchange=\($0)(direct) key=\($0)" }
            + ["", "[tasks]"] + tasks.values.sorted { $0.name < $1.name }.map { "  . \($0.listing)" } + [""]
        FileHandle.standardError.write(Data(lines.joined(separator: "\n").utf8 + [0x0A]))
        logger.info("\(configuration.nodeName) ready.")
    }
}

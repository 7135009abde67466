import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import TaskQ

extension Worker {
    /// Prints Celery's start-up banner: app, broker, results, concurrency, queues, tasks.
    func printBanner() {
        let executableName = URL(fileURLWithPath: configuration.executable).lastPathComponent
        let started = String(CeleryTime.format(Date()).prefix(19).map { $0 == "T" ? " " : $0 })
        let lines = [
            "",
            " -------------- \(configuration.nodeName) v\(TaskQVersion.current) (taskq)",
            "--- ***** ----- ",
            "-- ******* ---- \(ProcessInfo.processInfo.operatingSystemVersionString) \(started)",
            "- *** --- * --- ",
            "- ** ---------- [config]",
            "- ** ---------- .> app:         \(executableName) (\(configuration.executable))",
            "- ** ---------- .> transport:   \(configuration.brokerURL)",
            "- ** ---------- .> results:     \(configuration.backendURL)",
            "- *** --- * --- .> concurrency: \(poolDescription)",
            "-- ******* ---- .> task events: \(configuration.sendTaskEvents ? "ON" : "OFF (enable -E to monitor tasks in this worker)")",
            "--- ***** ----- ",
            " -------------- [queues]",
        ] + configuration.queues.map { "                .> \(String($0.prefix(16)) + String(repeating: " ", count: max(0, 16 - $0.count))) exchange=\($0)(direct) key=\($0)" }
            + ["", "[tasks]"] + core.tasks.values.filter { !$0.name.hasPrefix("celery.") }.sorted { $0.name < $1.name }.map { "  . \($0.listing)" } + [""]
        let text = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        _ = text.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        logger.info("\(configuration.nodeName) ready.")
    }

    /// How the pool is made, for the banner: `2 (prefork)`, `200 (async: 2 processes × 100 tasks)`.
    var poolDescription: String {
        let pool = configuration.pool
        switch pool.kind {
        case .prefork:
            if let range = configuration.autoscale { return "{min=\(range.minimum), max=\(range.maximum)} (prefork, autoscale)" }
            return "\(pool.children) (prefork)"
        case .solo:
            return "1 (solo)"
        case .async:
            return "\(pool.concurrency) (async: \(pool.children) processes × \(pool.tasksPerChild) tasks)"
        }
    }
}

import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging
import TaskQ

/// Log lines shaped like Celery's: `[2026-11-25 06:10:00,123: INFO/MainProcess] message`.
struct CeleryLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let now = Date().timeIntervalSince1970
        var seconds = time_t(now)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let millis = Int((now - Double(seconds)) * 1000)
        let pad = FixedPoint.padded
        let stamp = "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2)) "
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)),\(pad(millis, 3))"
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let suffix = merged.isEmpty ? "" : " " + merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        let line = "[\(stamp): \(Self.levelName(event.level))/MainProcess] \(event.message)\(suffix)\n"
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "DEBUG"
        case .info, .notice: return "INFO"
        case .warning: return "WARNING"
        case .error: return "ERROR"
        case .critical: return "CRITICAL"
        }
    }
}

/// Bootstraps swift-log once with Celery-shaped lines at `level`.
package enum LogSetup {
    package static func bootstrap(level: String) throws -> Logger.Level {
        let parsed: Logger.Level
        switch level.lowercased() {
        case "debug": parsed = .debug
        case "info": parsed = .info
        case "warning", "warn": parsed = .warning
        case "error": parsed = .error
        case "critical", "fatal": parsed = .critical
        default: throw ValidationError("unknown --loglevel '\(level)'; use debug, info, warning, error or critical")
        }
        LoggingSystem.bootstrap { _ in CeleryLogHandler(logLevel: parsed) }
        return parsed
    }
}

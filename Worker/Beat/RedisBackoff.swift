import FoundationEssentials
import Logging
import TaskQ

/// Reconnect pacing for the beat: an outage is logged once, attempts back off from 0.2 s to 5 s,
/// and the return of Redis is logged once.
struct RedisBackoff {
    private var delay = 0.2
    private var failing = false

    /// Logs and waits after a failed call (throws CancellationError when shut down meanwhile).
    mutating func failed(_ error: any Error, url: RedisURL, logger: Logger) async throws {
        if !failing {
            logger.error("beat: cannot reach Redis at \(url) (\(error)); trying again with backoff (up to 5 s between attempts)")
            failing = true
        }
        try await Task.sleep(for: .seconds(delay))
        delay = min(delay * 2, 5)
    }

    /// A call succeeded: says so once after an outage.
    mutating func connected(logger: Logger) {
        if failing { logger.info("beat: Redis answers again") }
        failing = false
        delay = 0.2
    }
}

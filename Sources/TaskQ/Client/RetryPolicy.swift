/// How long to wait before each retry, from a task's options (Celery's `retry_backoff` rules).
package struct RetryPolicy: Sendable, Equatable {
    /// Retries allowed; `nil` is unlimited.
    package var maxRetries: Int?
    /// Delay without backoff, in seconds.
    package var defaultDelay: Double
    /// Whether delays grow exponentially.
    package var backoff: Bool
    /// The first backoff step, in seconds.
    package var backoffBase: Double
    /// The largest backoff delay, in seconds.
    package var backoffMax: Double
    /// Whether to pick a random delay in `[0, backoff]`.
    package var jitter: Bool

    package init(maxRetries: Int?, defaultDelay: Double, backoff: Bool, backoffBase: Double, backoffMax: Double, jitter: Bool) {
        self.maxRetries = maxRetries
        self.defaultDelay = defaultDelay
        self.backoff = backoff
        self.backoffBase = backoffBase
        self.backoffMax = backoffMax
        self.jitter = jitter
    }

    /// The policy of a task's options.
    package init(_ options: TaskOptions) {
        self.init(maxRetries: options.maxRetries, defaultDelay: options.defaultRetryDelay.seconds,
                  backoff: options.retryBackoff, backoffBase: options.retryBackoffBase.seconds,
                  backoffMax: options.retryBackoffMax.seconds, jitter: options.retryJitter)
    }

    /// Whether a task already retried `retries` times may retry once more.
    package func allowsRetry(after retries: Int) -> Bool {
        maxRetries.map { retries < $0 } ?? true
    }

    /// Seconds to wait before retry number `retries + 1`; `random` yields values in `0..<1`.
    package func delay(afterRetries retries: Int, random: () -> Double = { Double.random(in: 0..<1) }) -> Double {
        guard backoff else { return defaultDelay }
        let exponent = min(retries, 62)
        let full = min(backoffMax, backoffBase * Double(1 << exponent))
        return jitter ? full * random() : full
    }
}

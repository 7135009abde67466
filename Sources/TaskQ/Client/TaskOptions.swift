/// How a task behaves on the worker: retries, rate limits, time limits, acknowledgement.
///
/// Every field has Celery's default unless noted.
public struct TaskOptions: Sendable {
    /// How many retries before FAILURE; `nil` retries forever. Default 3.
    public var maxRetries: Int?
    /// Delay before a retry when none is given and backoff is off. Default 180 s.
    public var defaultRetryDelay: Duration
    /// Exponential backoff for automatic retries: `base × 2^retries`, capped by `retryBackoffMax`.
    public var retryBackoff: Bool
    /// The first backoff step (Celery's `retry_backoff` factor). Default 1 s.
    public var retryBackoffBase: Duration
    /// The largest backoff delay. Default 600 s.
    public var retryBackoffMax: Duration
    /// Picks a random delay in `[0, backoff]` to spread retries. Default true.
    public var retryJitter: Bool
    /// Errors that are retried automatically instead of failing the task.
    public var autoretryFor: [ErrorMatcher]
    /// Per-worker rate limit in Celery syntax: `"10/s"`, `"100/m"`, `"1000/h"`.
    public var rateLimit: String?
    /// A rate limit shared by every worker, enforced in Redis.
    public var globalRateLimit: String?
    /// Hard time limit: the child running the task is killed. `nil` uses the worker's default.
    public var timeLimit: Duration?
    /// Soft time limit: the task is cancelled, `TaskContext.checkSoftTimeLimit()` throws
    /// `SoftTimeLimitExceeded`, and a task that lets the error out ends FAILURE SoftTimeLimitExceeded.
    public var softTimeLimit: Duration?
    /// Acknowledge after the task finishes instead of before it starts. `nil` uses the worker's default.
    public var acksLate: Bool?
    /// With `acksLate`, requeue a task whose child died instead of failing it; a message that
    /// keeps killing children goes to the dead-letter list after the worker's `--max-deliveries`.
    public var rejectOnWorkerLost: Bool
    /// The queue `delay` sends to when the call names none. Default: the app's default queue.
    public var queue: String?
    /// Do not store successful results.
    public var ignoreResult: Bool
    /// The default message priority 0...9 (on Redis, lower runs first).
    public var priority: Int?

    /// Creates options; every argument has Celery's default.
    public init(maxRetries: Int? = 3, defaultRetryDelay: Duration = .seconds(180), retryBackoff: Bool = false,
                retryBackoffBase: Duration = .seconds(1), retryBackoffMax: Duration = .seconds(600),
                retryJitter: Bool = true, autoretryFor: [ErrorMatcher] = [], rateLimit: String? = nil,
                globalRateLimit: String? = nil, timeLimit: Duration? = nil, softTimeLimit: Duration? = nil,
                acksLate: Bool? = nil, rejectOnWorkerLost: Bool = false, queue: String? = nil,
                ignoreResult: Bool = false, priority: Int? = nil) {
        self.maxRetries = maxRetries
        self.defaultRetryDelay = defaultRetryDelay
        self.retryBackoff = retryBackoff
        self.retryBackoffBase = retryBackoffBase
        self.retryBackoffMax = retryBackoffMax
        self.retryJitter = retryJitter
        self.autoretryFor = autoretryFor
        self.rateLimit = rateLimit
        self.globalRateLimit = globalRateLimit
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
        self.acksLate = acksLate
        self.rejectOnWorkerLost = rejectOnWorkerLost
        self.queue = queue
        self.ignoreResult = ignoreResult
        self.priority = priority
    }
}

/// Decides whether an error is one a task retries automatically.
public struct ErrorMatcher: Sendable {
    private let test: @Sendable (any Error) -> Bool

    /// Matches errors for which `test` returns true.
    public init(_ test: @escaping @Sendable (any Error) -> Bool) {
        self.test = test
    }

    /// Matches errors of type `E`.
    public static func type<E: Error>(_ type: E.Type) -> ErrorMatcher {
        ErrorMatcher { $0 is E }
    }

    /// Matches every error.
    public static let anyError = ErrorMatcher { _ in true }

    /// Whether `error` matches.
    public func matches(_ error: any Error) -> Bool { test(error) }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

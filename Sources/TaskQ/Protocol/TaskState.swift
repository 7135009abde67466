/// A task's state as Celery names it (`PENDING`, `SUCCESS`, `FAILURE`, ...).
///
/// A struct rather than an enum so that states TaskQ does not know (custom
/// states written by Python code) survive a round trip.
public struct TaskState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The state's name as stored in Redis.
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Unknown or waiting in the queue: what a missing result key reads as.
    public static let pending = TaskState(rawValue: "PENDING")
    /// A worker received the message (events only).
    public static let received = TaskState(rawValue: "RECEIVED")
    /// A child began running the task.
    public static let started = TaskState(rawValue: "STARTED")
    /// The task returned a value.
    public static let success = TaskState(rawValue: "SUCCESS")
    /// The task failed for good.
    public static let failure = TaskState(rawValue: "FAILURE")
    /// The task failed and will be tried again.
    public static let retry = TaskState(rawValue: "RETRY")
    /// The task was revoked, terminated or expired.
    public static let revoked = TaskState(rawValue: "REVOKED")
    /// A worker rejected the message (events only).
    public static let rejected = TaskState(rawValue: "REJECTED")

    /// States after which nothing more happens: SUCCESS, FAILURE, REVOKED.
    public var isReady: Bool { self == .success || self == .failure || self == .revoked }
    /// States whose `get()` throws: FAILURE and REVOKED.
    public var propagates: Bool { self == .failure || self == .revoked }
    /// States whose result is an exception record: RETRY, FAILURE, REVOKED.
    public var carriesException: Bool { self == .failure || self == .revoked || self == .retry }

    public var description: String { rawValue }
}

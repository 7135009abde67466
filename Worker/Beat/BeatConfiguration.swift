import FoundationEssentials
import TaskQ

/// How a `taskq beat` (or `taskq worker -B`) runs.
public struct BeatConfiguration: Sendable {
    /// The app executable whose code entries are synced at start; nil: only the entries in Redis.
    public var executable: String?
    /// The broker the messages go to, where the schedule is kept too.
    public var brokerURL: RedisURL
    /// Seconds a leader's lease lasts unless renewed; another beat takes over within it after the leader dies.
    public var lease: Double
    /// Seconds a slot may be late and still be sent on its own (default: twice the lease, so a
    /// failover loses none); later slots are sent once and the rest counted as missed.
    public var catchUp: Double
    /// This beat's name in the lease and in log lines: `beat-<pid>@<host>`.
    public var beatID: String

    /// Creates a configuration.
    public init(executable: String?, brokerURL: RedisURL, lease: Double = 10, catchUp: Double? = nil,
                beatID: String = "beat-\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)") {
        self.executable = executable
        self.brokerURL = brokerURL
        self.lease = lease
        self.catchUp = catchUp ?? 2 * lease
        self.beatID = beatID
    }
}

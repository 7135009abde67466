import FoundationEssentials
import TaskQ

/// A flag raised once a shutdown was asked for, readable from any thread.
final class ShutdownFlag: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = PosixLock()
    private var raised = false

    /// Raises the flag.
    func raise() { lock.withLock { raised = true } }

    /// Whether the flag was raised.
    var isRaised: Bool { lock.withLock { raised } }
}

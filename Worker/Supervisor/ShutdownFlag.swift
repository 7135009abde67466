import FoundationEssentials
import Synchronization
import TaskQ

/// A flag raised once a shutdown was asked for, readable from any thread.
final class ShutdownFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Raises the flag.
    func raise() { raised.store(true, ordering: .releasing) }

    /// Whether the flag was raised.
    var isRaised: Bool { raised.load(ordering: .acquiring) }
}

import FoundationEssentials

/// The worker's lifecycle, changed only in `Worker.transition(to:)`.
enum WorkerState: Equatable, CustomStringConvertible {
    /// Children are starting and saying hello.
    case starting
    /// Consuming and running tasks.
    case running
    /// Not consuming; running tasks may finish until the deadline.
    case warmShutdown(deadline: Date)
    /// Children were killed; giving back what they held.
    case coldShutdown
    /// Everything is flushed; the loop ends.
    case stopped

    /// Whether new messages may be claimed and dispatched.
    var acceptsWork: Bool { self == .running }

    /// Whether a child that exits should be replaced.
    var replacesChildren: Bool {
        switch self {
        case .starting, .running: return true
        default: return false
        }
    }

    /// Whether `next` is a legal step from here.
    func allows(_ next: WorkerState) -> Bool {
        switch (self, next) {
        case (.starting, .running), (.starting, .warmShutdown), (.starting, .coldShutdown),
             (.running, .warmShutdown), (.running, .coldShutdown),
             (.warmShutdown, .coldShutdown), (.warmShutdown, .stopped), (.coldShutdown, .stopped):
            return true
        default:
            return false
        }
    }

    var description: String {
        switch self {
        case .starting: return "starting"
        case .running: return "running"
        case .warmShutdown: return "warm shutdown"
        case .coldShutdown: return "cold shutdown"
        case .stopped: return "stopped"
        }
    }
}

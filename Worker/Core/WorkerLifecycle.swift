import FoundationEssentials

/// The worker's lifecycle. Changed only by `SupervisorCore.transition(to:)`.
///
///     starting ─> running ─> draining ─> awaitingChordJoins ─> flushing ─> stopped
///         │           │          │                │               ▲
///         └───────────┴──────────┴────────────────┴─ (cold) ──────┘
enum WorkerLifecycle: Equatable, CustomStringConvertible {
    /// Children are starting and saying hello; the worker gives up at `helloDeadline`.
    case starting(helloDeadline: Date)
    /// Consuming and running tasks.
    case running
    /// Warm shutdown: not consuming; running tasks may finish until `deadline`.
    case draining(deadline: Date)
    /// Warm shutdown: every task and child is done; chord joins still in flight are awaited until `deadline`.
    case awaitingChordJoins(deadline: Date)
    /// Every queued write is on its way to Redis; the loop ends when they are in.
    case flushing
    /// Done.
    case stopped

    /// Whether new messages may be claimed and dispatched.
    var acceptsWork: Bool { self == .running }

    /// Whether a child that exits is replaced.
    var replacesChildren: Bool {
        switch self {
        case .starting, .running: return true
        default: return false
        }
    }

    /// Whether a shutdown (warm or cold) has begun.
    var isShuttingDown: Bool {
        switch self {
        case .starting, .running: return false
        default: return true
        }
    }

    /// Whether `next` is a legal step from here.
    func allows(_ next: WorkerLifecycle) -> Bool {
        switch (self, next) {
        case (.starting, .running), (.starting, .draining), (.starting, .flushing),
             (.running, .draining), (.running, .flushing),
             (.draining, .awaitingChordJoins), (.draining, .flushing),
             (.awaitingChordJoins, .flushing), (.flushing, .stopped):
            return true
        default:
            return false
        }
    }

    var description: String {
        switch self {
        case .starting: return "starting"
        case .running: return "running"
        case .draining: return "warm shutdown (draining)"
        case .awaitingChordJoins: return "warm shutdown (awaiting chord joins)"
        case .flushing: return "flushing"
        case .stopped: return "stopped"
        }
    }
}

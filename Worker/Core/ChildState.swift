import FoundationEssentials

/// A pool child's lifecycle. Changed only by `ChildSlot.move(to:)`.
///
///     starting ─> ready ─> retiring ─> (exit)
///         └──────────┴────────┴─> killed ─> (exit)
enum ChildState: Equatable {
    /// Started, no hello yet.
    case starting
    /// Said hello; takes jobs.
    case ready
    /// Takes no more jobs; asked to exit once idle (recycling, shrinking, shutdown).
    case retiring
    /// Killed by the worker (time limit, terminate, cold shutdown): the jobs it still holds never begin here.
    case killed

    /// Whether `next` is a legal step from here.
    func allows(_ next: ChildState) -> Bool {
        switch (self, next) {
        case (.starting, .ready), (.starting, .retiring), (.ready, .retiring), (.starting, .killed),
             (.ready, .killed), (.retiring, .killed):
            return true
        default:
            return false
        }
    }
}

/// The core's view of one child: its lifecycle and the jobs it holds.
final class ChildSlot {
    /// The worker's number for it.
    let number: Int
    /// Its process id, once it runs.
    var pid: Int32?
    /// Where it stands.
    private(set) var state = ChildState.starting
    /// The jobs sent to it, in order: the first runs, the others wait their turn in the child.
    var jobs: [Int] = []
    /// Jobs it finished.
    var tasksRun = 0
    /// Whether a new child takes this one's place when it exits (false when the pool shrinks).
    var replaceOnExit = true
    /// An async child running one redelivered job alone: it takes nothing else until that ends.
    var exclusiveJob: Int?
    /// Since when it holds no job (for autoscale's shrinking).
    var idleSince: Date?

    init(number: Int) {
        self.number = number
    }

    /// The one place a child's state changes; a step that is not legal is ignored.
    @discardableResult
    func move(to next: ChildState) -> Bool {
        guard state.allows(next) else { return false }
        state = next
        return true
    }

    /// Whether it takes new jobs.
    var accepting: Bool { state == .ready }
}

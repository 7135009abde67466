import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The worker's view of one child: its lifecycle and the jobs it runs.
final class ChildSlot {
    /// A child's lifecycle.
    enum State: Equatable {
        /// Started, no hello yet.
        case starting
        /// Said hello; takes jobs.
        case ready
        /// Takes no more jobs; will be replaced once it exits (recycling, shrinking).
        case retiring
    }

    let process: ChildProcess
    var state: State = .starting
    /// The jobs sent to it, in order: the first runs, the others wait their turn in the child.
    var jobs: [Int] = []
    var tasksRun = 0
    /// Whether a new child takes this one's place when it exits (false when the pool shrinks).
    var replaceOnExit = true
    /// Killed by the worker (time limit, terminate): the jobs it still holds never begin here.
    var killed = false

    init(process: ChildProcess) {
        self.process = process
    }

    /// Kills the child on purpose; it starts nothing more in the worker's books.
    func kill(signal: Int32 = SIGKILL) {
        killed = true
        process.kill(signal: signal)
    }
}

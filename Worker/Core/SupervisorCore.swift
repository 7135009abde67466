import FoundationEssentials
import Logging
import TaskQ

/// The worker's decisions, with no I/O: events in, actions out.
///
/// `handle(_:now:)` takes one event and the time, updates the core's state and returns
/// what the driver (`Worker`) must do, in order: frames to children, writes, events, side
/// requests, log lines. No locks, no clocks but `now`, nothing that waits; every piece of
/// the worker's behaviour (dispatch, prefetch, rate gates, time limits, ETA hold, revokes,
/// child exits, shutdown) can be driven and checked from a unit test.
///
/// The pieces live by concept in `SupervisorCore+*.swift`; docs/architecture.md draws them.
struct SupervisorCore {
    let configuration: WorkerConfiguration
    /// The most verbose level the driver logs; lines below it are never built.
    let logLevel: Logger.Level

    /// The worker's lifecycle.
    private(set) var lifecycle: WorkerLifecycle
    /// The pool, by child number.
    var children: [Int: ChildSlot] = [:]
    /// The tasks the children registered, by name.
    var tasks: [String: TaskInfo] = [:]
    /// Jobs held by children (queued or running), by job number.
    var jobs: [Int: Job] = [:]
    /// Jobs waiting in the worker for a child, in arrival order (throttled ones included).
    var pending: [Job] = []
    /// Messages this worker received and put in the scheduled set to wait for their ETA, by
    /// task id, for `inspect scheduled` and `query_task` (the messages themselves live in Redis).
    var heldForETA: [String: Job] = [:]
    /// Async children kept free for a job that must run alone (child number → job number):
    /// they take no new jobs until that job runs on them (see `dispatchPending`).
    var aloneReservations: [Int: Int] = [:]
    /// Chord joins sent and not answered yet (a warm shutdown waits for them).
    var chordJoinsInFlight = 0
    var nextJobNumber = 0
    var nextChildNumber = 0
    /// Prefetch credits granted to the claimer and not spent yet.
    var credits = PrefetchCredits()
    /// Whether a claimer runs (credits go to it).
    var claiming = false
    /// Local token buckets and the shared-limit bookkeeping.
    var rateGate = RateGate()
    /// Run-time averages and the choice of child for each job.
    var placement = ChildPlacement()
    var revokedIDs = RevokedSet()
    var replayGuard = ReplayGuard()
    var timeLimitOverrides: [String: (hard: Double?, soft: Double?)] = [:]
    /// Autoscale's bounds on the children (remote control may change them); nil without autoscale.
    var autoscaleRange: (maximum: Int, minimum: Int)?
    /// The queues consumed (remote control may add and cancel).
    var queues: [String]
    var taskEventsEnabled: Bool
    /// Jobs finished (or lost), in all and by task name.
    var processed = 0
    var totals: [String: Int] = [:]
    var counts = (succeeded: 0, failed: 0, retried: 0)
    var controlClock = 0
    /// When the worker started.
    let startedAt: Date
    var lastAlive = Date.distantPast
    var lastHeartbeat = Date.distantPast
    var lastRenewal = Date.distantPast
    var lastRevokedSync: Date

    /// The time of the event being handled.
    private(set) var now: Date
    /// The actions decided for the event being handled (a reference, so that log lines
    /// built lazily from the core's own state can be added from non-mutating code).
    private let outbox = Outbox()

    /// How long children have to say hello before the worker gives up.
    static let helloTimeout = 30.0

    init(configuration: WorkerConfiguration, logLevel: Logger.Level, now: Date) {
        self.configuration = configuration
        self.logLevel = logLevel
        self.now = now
        startedAt = now
        lastRevokedSync = now
        lifecycle = .starting(helloDeadline: now.addingTimeInterval(Self.helloTimeout))
        queues = configuration.queues
        autoscaleRange = configuration.autoscale
        taskEventsEnabled = configuration.sendTaskEvents
    }

    /// Takes one event at `now` and returns what to do about it, in order.
    mutating func handle(_ event: SupervisorEvent, now: Date) -> [SupervisorAction] {
        self.now = now
        switch event {
        case .started(let revoked):
            revokedIDs.merge(revoked, now: epoch)
            // Children have the hello timeout from their spawn, not from the wait for Redis.
            lifecycle = .starting(helloDeadline: now.addingTimeInterval(Self.helloTimeout))
            for _ in 0..<initialChildren { spawnChild() }
        case .claimed(let messages):
            credits.spent(messages.count)
            if lifecycle.acceptsWork {
                for message in messages { receive(message) }
                dispatchPending()
            } else {
                giveBackLateClaims(messages)
            }
        case .childSpawned(let number, let pid):
            children[number]?.pid = pid
        case .childSpawnFailed(let number, let reason):
            childSpawnFailed(number, reason: reason)
        case .childHello(let number, let registered):
            childHello(number, registered: registered)
        case .childDone(let number, let job, let outcome, let residentKiB):
            childDone(number, job: job, outcome: outcome, residentKiB: residentKiB)
        case .childExited(let number, let status, let signaled):
            childExited(number, status: status, signaled: signaled)
        case .tick:
            writeDeferredAcks()
            enforceTimeLimits()
            housekeeping()
            autoscale()
            dispatchPending()
            checkShutdownProgress()
        case .control(let request, let usage):
            handleControl(request, usage: usage)
        case .sharedToken(let number, let name, let wait):
            sharedTokenAnswered(job: number, task: name, wait: wait)
        case .revokedSynced(let entries):
            revokedIDs.merge(entries, now: epoch)
        case .chordJoined(let callback, let entries, let link):
            chordJoinsInFlight -= 1
            if let entries { completeChord(callback: callback, entries: entries, link: link) }
            checkShutdownProgress()
        case .writesFlushed:
            if transition(to: .stopped) { emit(.stop) }
        case .shutdownRequested(let cold):
            if cold || lifecycle.isShuttingDown {
                beginColdShutdown()
            } else {
                beginWarmShutdown()
            }
        }
        if case .starting(let deadline) = lifecycle, now > deadline {
            emit(.abort("the app executable \(configuration.executable) started but never said hello; does it call 'try await app.run()'?"))
        }
        refillCredits()
        defer { outbox.actions = [] }
        return outbox.actions
    }

    /// Children at start: the pool's, or autoscale's minimum.
    var initialChildren: Int { configuration.autoscale?.minimum ?? configuration.pool.children }

    /// `now` in epoch seconds.
    var epoch: Double { now.timeIntervalSince1970 }

    /// Adds an action to the ones being decided.
    func emit(_ action: SupervisorAction) {
        outbox.actions.append(action)
    }

    /// Adds a log line; the text is built only when the driver logs that level.
    func log(_ level: Logger.Level, _ message: @autoclosure () -> String) {
        guard level >= logLevel else { return }
        outbox.actions.append(.log(level, message()))
    }

    /// The one place the lifecycle changes; false (and nothing changes) when the step is not legal.
    @discardableResult
    mutating func transition(to next: WorkerLifecycle) -> Bool {
        guard lifecycle.allows(next) else { return false }
        log(.debug, "worker state \(lifecycle) -> \(next)")
        lifecycle = next
        return true
    }
}

/// Where the core collects the actions of one event.
final class Outbox {
    var actions: [SupervisorAction] = []
}

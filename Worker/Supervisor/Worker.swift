import FoundationEssentials
import Logging
import ServiceLifecycle
import UnixSignals
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// The supervisor: claims messages, runs them on pool children, stores results and acks.
///
/// It never runs user code, and it decides nothing itself: its `SupervisorCore` does. The
/// worker is the driver around the core: one event loop (`runLoop()`) on the reactor thread
/// turns claims, child frames, exits, timers and control requests into `SupervisorEvent`s,
/// hands each to the core and carries out the actions it returns (`Worker+Actions.swift`).
/// Requests that wait on Redis (shared rate tokens, chord joins, revoked ids, the final
/// flush) and timers run as child tasks of `run()` and answer with events.
// Safe unchecked: every mutable property is touched only inside the event loop, which runs on
// the reactor's one thread; other threads reach the worker only through `post`, a Sendable stream.
public final class Worker: Service, @unchecked Sendable {
    let configuration: WorkerConfiguration
    let logger: Logger
    let inbox: AsyncStream<SupervisorEvent>
    let post: AsyncStream<SupervisorEvent>.Continuation
    /// Side requests and timers, run as child tasks of `run()`.
    let sideRequests: AsyncStream<@Sendable () async -> Void>
    let startSideRequest: AsyncStream<@Sendable () async -> Void>.Continuation
    /// The thread the event loop runs on and the children's frames are read on.
    let reactor = FrameReactor()
    let writes: WorkerWrites
    let rateClient: RedisClient
    /// Answers the chord joins on the result backend.
    let backendClient: RedisClient
    let events: EventDispatcher
    let history: HistoryWriter
    let shutdownFlag = ShutdownFlag()

    // Event-loop state: touched only inside `runLoop()`.
    /// The decisions.
    var core: SupervisorCore
    /// The pool's processes, by the core's child numbers.
    var processes: [Int: ChildProcess] = [:]
    var claimer: MessageClaimer?
    var control: ControlChannel?

    /// Prepares a worker; `run()` starts it.
    public init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        (inbox, post) = AsyncStream<SupervisorEvent>.makeStream()
        (sideRequests, startSideRequest) = AsyncStream<@Sendable () async -> Void>.makeStream()
        let broker = RedisWriter(url: configuration.brokerURL, name: "taskq.writer.broker", logger: logger)
        let shared = configuration.brokerURL == configuration.backendURL
        let backend = shared ? broker : RedisWriter(url: configuration.backendURL, name: "taskq.writer.backend", logger: logger)
        writes = WorkerWrites(broker: broker, backend: backend, shared: shared, resultExpiry: configuration.resultExpiry,
                              format: configuration.format)
        rateClient = RedisClient(url: configuration.brokerURL, name: "taskq.ratelimit")
        backendClient = RedisClient(url: configuration.backendURL, name: "taskq.backend")
        events = EventDispatcher(node: configuration.nodeName, database: configuration.brokerURL.database, writer: broker)
        history = HistoryWriter(node: configuration.nodeName, writer: broker)
        history.maxTasks = configuration.historyMaxTasks
        history.maxAge = configuration.historyMaxAge
        core = SupervisorCore(configuration: configuration, logLevel: logger.logLevel, now: Date())
    }

    /// Asks for a shutdown: warm the first time, cold when `cold` is true.
    public func requestShutdown(cold: Bool) {
        shutdownFlag.raise()
        post.yield(.shutdownRequested(cold: cold))
    }

    /// During a warm shutdown, the next SIGTERM or SIGINT asks for the cold one.
    func watchForColdShutdownSignal() {
        let post = self.post
        Task.detached {
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                post.yield(.shutdownRequested(cold: true))
                break
            }
        }
    }

    /// Runs until a warm shutdown finishes or a cold one is done.
    ///
    /// The service group's graceful shutdown (SIGTERM or SIGINT) starts a warm shutdown, and
    /// one more of those signals while it runs makes it cold, as in Celery; the group's
    /// cancellation (SIGQUIT) is a cold shutdown at once. The event loop itself runs in a task
    /// of its own, so cancellation reaches it as that request and never ends its event
    /// stream before the cold shutdown has given back what the children held. Side requests
    /// run in a task group here; the ones still running when the loop ends are cancelled.
    public func run() async throws {
        reactor.start(name: "taskq.worker")
        // The event loop runs on the reactor's thread, which also reads the children's
        // frames: a `done` frame is handled without waking another thread.
        let loop = Task(executorPreference: reactor) {
            defer { self.startSideRequest.finish() }
            try await self.runLoop()
        }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    for await request in sideRequests { group.addTask(operation: request) }
                    group.cancelAll()
                }
                try await loop.value
            } onGracefulShutdown: {
                self.requestShutdown(cold: false)
                self.watchForColdShutdownSignal()
            }
        } onCancel: {
            self.requestShutdown(cold: true)
        }
    }

    func runLoop() async throws {
        guard try await waitForBroker() else { return }
        let revoked = Self.loadRevoked(configuration.brokerURL) ?? []
        let post = self.post
        control = ControlChannel(url: configuration.brokerURL, node: configuration.nodeName, logger: logger) {
            post.yield(.control($0, usage: nil))
        }
        startSideRequest.yield {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                post.yield(.tick)
            }
        }
        try feed(.started(revoked: revoked))
        for await event in inbox {
            try feed(event)
            if core.lifecycle == .stopped { break }
        }
        events.flush(force: true)
        history.flush(force: true)
        control?.stop()
        claimer?.stop()
        writes.broker.stop()
        if writes.backend !== writes.broker { writes.backend.stop() }
    }

    /// Hands one event to the core and carries out its actions, then the events those
    /// actions answered at once (a child started or not), then flushes the task events and history.
    func feed(_ event: SupervisorEvent) throws {
        var answers: [SupervisorEvent] = []
        for action in core.handle(measured(event), now: Date()) {
            try perform(action, answers: &answers)
        }
        // An exited child's process object (and its pipe) goes with it.
        if case .childExited(let child, _, _) = event { processes[child] = nil }
        for answer in answers { try feed(answer) }
        events.flush()
        history.flush()
    }

    /// The event with what only the driver can measure: a child's memory, the process's usage.
    private func measured(_ event: SupervisorEvent) -> SupervisorEvent {
        switch event {
        case .childDone(let child, let job, let outcome, nil) where configuration.maxMemoryPerChild != nil:
            return .childDone(child: child, job: job, outcome: outcome, residentKiB: processes[child]?.residentKiB)
        case .control(let request, nil) where request.method == "stats":
            return .control(request, usage: ProcessUsage.sample())
        default:
            return event
        }
    }

    /// Waits until Redis answers, saying so once, with backoff; false when asked to stop meanwhile
    /// (a shutdown signal ends the wait within 50 ms, not after the backoff). Throws when Redis
    /// answers but refuses what the worker needs (see `BrokerPermissions`).
    func waitForBroker() async throws -> Bool {
        var backoff = 0.2
        var reported = false
        while !shutdownFlag.isRaised {
            do {
                let connection = try RedisConnection(url: configuration.brokerURL, connectTimeout: 2)
                defer { connection.close() }
                try connection.command(RedisCommand("PING"))
                try BrokerPermissions.check(connection, url: configuration.brokerURL)
                if reported { logger.info("Connected to \(configuration.brokerURL)") }
                return true
            } catch let refused as BrokerPermissions.Refused {
                throw refused
            } catch {
                if !reported {
                    logger.error("\(error). Trying again with backoff (up to 5 s between attempts).")
                    reported = true
                }
                let until = Date().addingTimeInterval(backoff)
                while Date() < until && !shutdownFlag.isRaised { try? await Task.sleep(for: .milliseconds(50)) }
                backoff = min(backoff * 2, 5)
            }
        }
        return false
    }
}

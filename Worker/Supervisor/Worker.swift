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
/// It never runs user code. All of its state lives in one event loop
/// (`run()`), fed by the claimer, the children and a timer; nothing else
/// touches it, so no locks guard it.
public final class Worker: Service, @unchecked Sendable {
    let configuration: WorkerConfiguration
    let logger: Logger
    let inbox: AsyncStream<WorkerEvent>
    let post: AsyncStream<WorkerEvent>.Continuation
    /// The thread the event loop runs on and the children's frames are read on.
    let reactor = FrameReactor()
    let writes: WorkerWrites
    var claimer: MessageClaimer?
    var control: ControlChannel?
    let rateClient: RedisClient
    /// Answers the chord joins on the result backend.
    let backendClient: RedisClient
    let events: EventDispatcher

    // Event-loop state: touched only inside `run()`.
    private(set) var state: WorkerState = .starting
    var children: [Int: ChildSlot] = [:]
    var tasks: [String: TaskInfo] = [:]
    var jobs: [Int: Job] = [:]
    var pending: [Job] = []
    /// Messages this worker received and put in the scheduled set to wait for their ETA, by
    /// task id, for `inspect scheduled` and `query_task` (the messages themselves live in Redis).
    var heldForETA: [String: Job] = [:]
    /// Chord joins sent and not answered yet (a warm shutdown waits for them).
    var chordJoinsInFlight = 0
    var nextJobNumber = 0
    var nextChildNumber = 0
    /// Prefetch credits granted to the claimer and not spent yet.
    var credits = PrefetchCredits()
    private(set) var startedAt = Date()
    var processed = 0
    var totals: [String: Int] = [:]
    var revokedIDs = RevokedSet()
    var counts = (succeeded: 0, failed: 0, retried: 0)
    /// Local token buckets and the shared-limit bookkeeping.
    var rateGate = RateGate()
    /// Run-time averages and the choice of child for each job.
    var placement = ChildPlacement()
    var timeLimitOverrides: [String: (hard: Double?, soft: Double?)] = [:]
    var queues: [String]
    var taskEventsEnabled: Bool
    var controlClock = 0
    var lastAlive = Date.distantPast
    var lastHeartbeat = Date.distantPast
    var lastRenewal = Date.distantPast
    var lastRevokedSync = Date()

    /// Prepares a worker; `run()` starts it.
    public init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        (inbox, post) = AsyncStream<WorkerEvent>.makeStream()
        let broker = RedisWriter(url: configuration.brokerURL, name: "taskq.writer.broker", logger: logger)
        let shared = configuration.brokerURL == configuration.backendURL
        let backend = shared ? broker : RedisWriter(url: configuration.backendURL, name: "taskq.writer.backend", logger: logger)
        writes = WorkerWrites(broker: broker, backend: backend, shared: shared, resultExpiry: configuration.resultExpiry)
        rateClient = RedisClient(url: configuration.brokerURL, name: "taskq.ratelimit")
        backendClient = RedisClient(url: configuration.backendURL, name: "taskq.backend")
        events = EventDispatcher(node: configuration.nodeName, database: configuration.brokerURL.database, writer: broker)
        events.maxTasks = configuration.historyMaxTasks
        events.maxAge = configuration.historyMaxAge
        queues = configuration.queues
        taskEventsEnabled = configuration.sendTaskEvents
    }

    /// Asks for a shutdown: warm the first time, cold when `cold` is true.
    public func requestShutdown(cold: Bool) {
        shutdownFlag.raise()
        post.yield(.shutdown(cold: cold))
    }

    let shutdownFlag = ShutdownFlag()

    /// During a warm shutdown, the next SIGTERM or SIGINT asks for the cold one.
    func watchForColdShutdownSignal() {
        let post = self.post
        Task.detached {
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                post.yield(.shutdown(cold: true))
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
    /// stream before the cold shutdown has given back what the children held.
    public func run() async throws {
        reactor.start(name: "taskq.worker")
        // The event loop runs on the reactor's thread, which also reads the children's
        // frames: a `done` frame is handled without waking another thread.
        let loop = Task(executorPreference: reactor) { try await self.runLoop() }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
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
        startedAt = Date()
        guard try await waitForBroker() else { return }
        revokedIDs.merge(Self.loadRevoked(configuration.brokerURL) ?? [])
        let post = self.post
        control = ControlChannel(url: configuration.brokerURL, node: configuration.nodeName, logger: logger) {
            post.yield(.control($0))
        }
        for _ in 0..<configuration.concurrency { try spawnChild() }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                self.post.yield(.tick)
            }
        }
        defer { ticker.cancel() }
        let helloDeadline = Date().addingTimeInterval(30)
        for await event in inbox {
            handle(event)
            if state == .starting && Date() > helloDeadline {
                throw WorkerError("the app executable \(configuration.executable) started but never said hello; does it call 'try await app.run()'?")
            }
            if state == .stopped { break }
        }
        control?.stop()
        writes.broker.stop()
        if writes.backend !== writes.broker { writes.backend.stop() }
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

    // MARK: - Events

    func handle(_ event: WorkerEvent) {
        switch event {
        case .claimed(let messages):
            credits.spent(messages.count)
            if state.acceptsWork {
                for message in messages { receive(message) }
                dispatchPending()
            } else {
                giveBackLateClaims(messages)
            }
        case .frame(let child, let frame):
            handleFrame(frame, from: child)
        case .childExited(let child, let status, let signaled):
            childExited(child, status: status, signaled: signaled)
        case .tick:
            writeDeferredAcks()
            enforceTimeLimits()
            housekeeping()
            dispatchPending()
            checkShutdownProgress()
        case .control(let request):
            handleControl(request)
        case .globalToken(let number, let name, let wait):
            let until = rateGate.answered(name, wait: wait, now: Date().timeIntervalSince1970)
            if let job = pending.first(where: { $0.number == number }) {
                job.waitingForGlobalToken = false
                if let until {
                    job.throttledUntil = until
                    wake(after: wait)
                } else {
                    job.hasGlobalToken = true
                }
            }
            dispatchPending()
        case .revokedSync(let entries):
            revokedIDs.merge(entries)
        case .chordJoined(let callback, let entries, let link):
            chordJoinsInFlight -= 1
            if let entries { completeChord(callback: callback, entries: entries, link: link) }
            checkShutdownProgress()
        case .writesFlushed:
            transition(to: .stopped)
        case .shutdown(let cold):
            if cold || state == .coldShutdown {
                beginColdShutdown()
            } else if case .warmShutdown = state {
                beginColdShutdown()
            } else {
                beginWarmShutdown()
            }
        }
        refillCredits()
        events.flush()
    }

    func transition(to next: WorkerState) {
        guard state.allows(next) else { return }
        logger.debug("worker state \(state) -> \(next)")
        state = next
    }

    // MARK: - Children

    // MARK: - Claiming and dispatch

    // MARK: - Time limits

    // MARK: - Shutdown

    var flushing = false
}

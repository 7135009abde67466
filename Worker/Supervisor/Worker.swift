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
    private let inbox: AsyncStream<WorkerEvent>
    let post: AsyncStream<WorkerEvent>.Continuation
    /// The thread the event loop runs on and the children's frames are read on.
    private let reactor = FrameReactor()
    let writes: WorkerWrites
    private var claimer: MessageClaimer?
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
    private var nextJobNumber = 0
    private var nextChildNumber = 0
    private var creditsOut = 0
    private(set) var startedAt = Date()
    var processed = 0
    var totals: [String: Int] = [:]
    var revokedIDs = RevokedSet()
    var counts = (succeeded: 0, failed: 0, retried: 0)
    var buckets: [String: TokenBucket] = [:]
    /// Moving average of each task's run time, in seconds (decides which may queue in a child).
    private var averageRuntime: [String: Double] = [:]
    /// Per task name under a shared rate limit: asking Redis again is pointless before this time
    /// (the last answer said to wait), so one worker sends about one request per interval.
    private var sharedLimitQuietUntil: [String: Double] = [:]
    /// Task names with a shared-limit request in flight.
    private var sharedLimitAsking: Set<String> = []
    var timeLimitOverrides: [String: (hard: Double?, soft: Double?)] = [:]
    var queues: [String]
    var taskEventsEnabled: Bool
    var controlClock = 0
    private var lastAlive = Date.distantPast
    private var lastHeartbeat = Date.distantPast
    private var lastRenewal = Date.distantPast
    private var lastRevokedSync = Date()

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

    private let shutdownFlag = ShutdownFlag()

    /// During a warm shutdown, the next SIGTERM or SIGINT asks for the cold one.
    private func watchForColdShutdownSignal() {
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

    private func runLoop() async throws {
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

    /// The revoked ids recorded in Redis that have not expired.
    static func loadRevoked(_ url: RedisURL) -> [(id: String, expiry: Double)]? {
        guard let connection = try? RedisConnection(url: url) else { return nil }
        defer { connection.close() }
        let now = Date().timeIntervalSince1970
        guard let items = (try? connection.command(RedisCommand("ZRANGEBYSCORE", CeleryKeys.revoked, now, "+inf", "WITHSCORES")))?.array else {
            return nil
        }
        return stride(from: 0, to: items.count - 1, by: 2).compactMap { index in
            guard let id = items[index].string, let expiry = items[index + 1].string.flatMap(Double.init) else { return nil }
            return (id, expiry)
        }
    }

    /// Waits until Redis answers, saying so once, with backoff; false when asked to stop meanwhile
    /// (a shutdown signal ends the wait within 50 ms, not after the backoff). Throws when Redis
    /// answers but refuses what the worker needs (see `BrokerPermissions`).
    private func waitForBroker() async throws -> Bool {
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

    private func handle(_ event: WorkerEvent) {
        switch event {
        case .claimed(let messages):
            creditsOut -= messages.count
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
            sharedLimitAsking.remove(name)
            if let job = pending.first(where: { $0.number == number }) {
                job.waitingForGlobalToken = false
                if wait <= 0 {
                    job.hasGlobalToken = true
                } else {
                    let until = Date().timeIntervalSince1970 + wait
                    job.throttledUntil = until
                    sharedLimitQuietUntil[job.message.name] = until
                    wake(after: wait)
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

    func spawnChild() throws {
        nextChildNumber += 1
        let number = nextChildNumber
        let post = self.post
        let process = try ChildProcess(
            number: number, executable: configuration.executable,
            environment: ["TASKQ_BROKER_URL": configuration.brokerURL.unmasked,
                          "TASKQ_RESULT_BACKEND": configuration.backendURL.unmasked],
            reactor: reactor,
            onFrame: { post.yield(.frame(child: number, $0)) },
            onExit: { status, signaled in post.yield(.childExited(child: number, status: status, signaled: signaled)) })
        children[number] = ChildSlot(process: process)
    }

    private func handleFrame(_ frame: JSONValue, from number: Int) {
        guard let slot = children[number] else { return }
        let message: FromChild
        do {
            message = try FromChild(frame: frame)
        } catch {
            logger.warning("child \(number) sent a frame the worker cannot use: \(error)")
            return
        }
        switch message {
        case .hello(_, _, let registered):
            if tasks.isEmpty {
                for task in registered { tasks[task.name] = TaskInfo(name: task.name, options: task.options) }
            }
            if slot.state == .starting { slot.state = .ready }
            if state == .starting && children.values.allSatisfy({ $0.state != .starting }) {
                transition(to: .running)
                printBanner()
                events.worker("worker-online", workerEventFields())
                recordStatus(workerEventFields())
                startClaimer()
            }
            dispatchPending()
        case .done(let jobNumber, let outcome):
            guard let job = jobs[jobNumber] else { return }
            slot.jobs.removeAll { $0 == jobNumber }
            slot.tasksRun += 1
            jobs[jobNumber] = nil
            processed += 1
            totals[job.message.name, default: 0] += 1
            if let started = job.startedAt { recordRuntime(of: job.message.name, Date().timeIntervalSince(started)) }
            finish(job, outcome: outcome)
            // The child goes on with the next job it holds, at once.
            if !slot.killed, let next = slot.jobs.first.flatMap({ jobs[$0] }), next.startedAt == nil { begin(next, on: slot) }
            recycleIfNeeded(slot, number: number)
            dispatchPending()
        }
    }

    private func recycleIfNeeded(_ slot: ChildSlot, number: Int) {
        if slot.state == .retiring {
            // Marked to go while it ran tasks (recycling, shrinking, shutdown): it goes once idle.
            if slot.jobs.isEmpty { slot.process.requestShutdown() }
            return
        }
        guard slot.state == .ready else { return }
        var reason: String?
        if let limit = configuration.maxTasksPerChild, slot.tasksRun >= limit {
            reason = "ran \(slot.tasksRun) tasks (--max-tasks-per-child \(limit))"
        } else if let limit = configuration.maxMemoryPerChild, let used = slot.process.residentKiB, used > limit {
            reason = "uses \(used) KiB (--max-memory-per-child \(limit))"
        }
        guard let reason else { return }
        logger.info("Replacing child \(slot.process.pid): it \(reason)")
        slot.state = .retiring
        if slot.jobs.isEmpty { slot.process.requestShutdown() }
    }

    private func childExited(_ number: Int, status: Int32, signaled: Bool) {
        guard let slot = children.removeValue(forKey: number) else { return }
        let how = signaled ? "signal \(status) (\(signalName(status)))" : "exitcode \(status)"
        var neverStarted: [Job] = []
        for jobNumber in slot.jobs {
            guard let job = jobs.removeValue(forKey: jobNumber) else { continue }
            if job.startedAt == nil {
                neverStarted.append(job)
                continue
            }
            processed += 1
            totals[job.message.name, default: 0] += 1
            childLost(job, how: how, pid: slot.process.pid)
        }
        takeBack(neverStarted)
        if slot.state != .retiring && state.replacesChildren {
            logger.error("Process \(slot.process.pid) (child \(number)) exited with \(how)")
        }
        if state.replacesChildren && slot.replaceOnExit {
            do { try spawnChild() } catch { logger.error("cannot start a replacement child: \(error)") }
        }
        checkShutdownProgress()
    }

    // MARK: - Claiming and dispatch

    func startClaimer() {
        let post = self.post
        var current = configuration
        current.queues = queues
        creditsOut = 0
        claimer = MessageClaimer(configuration: current, logger: logger) { post.yield(.claimed($0)) }
    }

    /// Restarts the claimer after the queue list changed (add/cancel consumer).
    func restartClaimer() {
        claimer?.stop()
        claimer = nil
        startClaimer()
    }

    /// The most messages held at once, rate-limited ones included.
    static let maximumHeld = 5000

    /// How many runnable messages the worker holds at most: claimed, waiting and running.
    /// A multiplier of 0 means no limit but `maximumHeld`, as in Celery.
    private var prefetchLimit: Int {
        configuration.prefetchMultiplier <= 0 ? Self.maximumHeld : max(1, children.count * configuration.prefetchMultiplier)
    }

    private func refillCredits() {
        guard state.acceptsWork, let claimer else { return }
        let throttled = pending.reduce(0) { $0 + ($1.isWaitingForRate ? 1 : 0) }
        let held = pending.count + jobs.count
        let wanted = min(prefetchLimit - (held - throttled), Self.maximumHeld - held) - creditsOut
        if wanted > 0 {
            creditsOut += wanted
            claimer.grant(wanted)
        }
    }

    private func receive(_ claimed: ClaimedMessage) {
        let message: TaskMessage
        do {
            message = try TaskMessage(envelope: claimed.envelope)
        } catch {
            logger.error("Received an invalid message on queue '\(claimed.queue)': \(error). Moved it to the dead-letter list \(CeleryKeys.deadLetters)")
            writes.deadLetter(tag: claimed.deliveryTag, reason: String(describing: error), queue: claimed.queue)
            return
        }
        if claimed.deliveries > configuration.maxDeliveries {
            logger.error("Task \(message.name)[\(message.id)] was delivered \(claimed.deliveries) times without finishing (poison message?). Moved it to the dead-letter list \(CeleryKeys.deadLetters)")
            let reason = "delivered \(claimed.deliveries) times without finishing; every attempt lost its worker or child"
            let record = ResultRecord(taskID: message.id, status: .failure,
                                      exception: .workerLost("moved to the dead-letter list \(CeleryKeys.deadLetters): \(reason)"),
                                      traceback: nil, dateDone: Date(), extra: parentExtras(message))
            // The dead-letter entry first: a client that reads the failure finds the entry it names.
            writes.deadLetter(tag: claimed.deliveryTag, reason: reason, queue: claimed.queue)
            writes.store(record, ackTag: nil)
            return
        }
        guard let info = tasks[message.name] else {
            logger.error("Received unregistered task of type '\(message.name)'. The message has been ignored and discarded. Did you register it in the app executable (\(configuration.executable))?")
            let record = ResultRecord(taskID: message.id, status: .failure, exception: .notRegistered(message.name),
                                      traceback: nil, dateDone: Date(), extra: parentExtras(message))
            writes.store(record, ackTag: claimed.deliveryTag)
            return
        }
        nextJobNumber += 1
        let job = Job(number: nextJobNumber, message: message, claimed: claimed, info: info,
                      acksLate: info.acksLate ?? configuration.acksLate)
        logger.info("Task \(job.label) received")
        // A message this worker (or another) already received and held for its ETA is met again when due.
        heldForETA[message.id] = nil
        if message.properties[Self.heldForETAProperty] == nil {
            taskEvent("task-received", job, receivedFields(job))
        }
        if revokedIDs.contains(message.id) {
            discardRevoked(job)
            return
        }
        if let expires = message.expires, expires < Date() {
            revokeExpired(job)
            return
        }
        if let eta = message.eta, eta.timeIntervalSinceNow > 0.005 {
            var held = message
            held.properties[Self.heldForETAProperty] = .bool(true)
            writes.schedule(held, due: eta, list: job.homeList, replacing: claimed.deliveryTag)
            rememberHeldForETA(job)
            logger.info("Task \(job.label) scheduled for \(CeleryTime.format(eta))")
            return
        }
        pending.append(job)
    }

    /// The envelope property marking a message that was received once and then held for its
    /// ETA in the scheduled set, so it is not announced as received a second time.
    static let heldForETAProperty = "taskq_held_for_eta"

    /// The most ETA messages remembered for `inspect scheduled`; older ones are still run, only not listed.
    static let maximumHeldForETAListed = 10_000

    private func rememberHeldForETA(_ job: Job) {
        if heldForETA.count >= Self.maximumHeldForETAListed {
            let now = Date()
            heldForETA = heldForETA.filter { ($0.value.message.eta ?? now) > now }
            if heldForETA.count >= Self.maximumHeldForETAListed { return }
        }
        heldForETA[job.message.id] = job
    }

    /// Starts pending jobs on children with a free slot, in order, skipping the ones a
    /// rate limit holds back (they wait without blocking other tasks).
    func dispatchPending() {
        guard state.acceptsWork else { return }
        let now = Date().timeIntervalSince1970
        var index = 0
        while index < pending.count {
            let job = pending[index]
            guard let (number, slot) = freeChild(for: job) else { return }
            if let until = job.throttledUntil {
                if until > now {
                    index += 1
                    continue
                }
                job.throttledUntil = nil
            }
            if revokedIDs.contains(job.message.id) {
                pending.remove(at: index)
                discardRevoked(job)
                continue
            }
            if job.waitingForGlobalToken {
                index += 1
                continue
            }
            if let shared = job.info.globalRateLimit, !job.hasGlobalToken, let interval = try? RateLimit(shared).interval {
                let name = job.message.name
                if sharedLimitAsking.contains(name) {
                    job.throttledUntil = now   // counted as throttled; looked at again after the answer
                } else if let quiet = sharedLimitQuietUntil[name], quiet > now {
                    job.throttledUntil = quiet
                } else {
                    sharedLimitAsking.insert(name)
                    requestGlobalToken(for: job, interval: interval)
                }
                index += 1
                continue
            }
            if let wait = takeLocalToken(for: job, now: now) {
                job.throttledUntil = now + wait
                wake(after: wait)
                index += 1
                continue
            }
            pending.remove(at: index)
            start(job, on: slot, number: number)
        }
    }

    /// Takes the per-worker token of the job's task; returns the wait when there is none.
    private func takeLocalToken(for job: Job, now: Double) -> Double? {
        guard let text = tasks[job.message.name]?.rateLimit, let interval = try? RateLimit(text).interval else { return nil }
        var bucket = buckets[job.message.name] ?? TokenBucket(interval: interval)
        if bucket.interval != interval { bucket = TokenBucket(interval: interval) }
        let wait = bucket.take(at: now)
        buckets[job.message.name] = bucket
        return wait
    }

    /// Asks Redis' shared limiter for a slot; the answer comes back as `.globalToken`.
    private func requestGlobalToken(for job: Job, interval: Double) {
        job.waitingForGlobalToken = true
        let number = job.number
        let name = job.message.name
        let key = GlobalRateLimiter.key(for: name)
        Task { [rateClient, post, logger] in
            do {
                let reply = try await rateClient.evaluate(GlobalRateLimiter.script, keys: [key],
                                                          arguments: [interval])
                post.yield(.globalToken(job: number, task: name, wait: reply.string.flatMap(Double.init) ?? 0))
            } catch {
                logger.error("shared rate limit check failed: \(error); trying again shortly")
                post.yield(.globalToken(job: number, task: name, wait: 0.5))
            }
        }
    }

    /// Posts a tick after `seconds`, for a throttled job's turn.
    func wake(after seconds: Double) {
        let post = self.post
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000) + 1))
            post.yield(.tick)
        }
    }

    /// Stores REVOKED for a message whose id was revoked, and acks it.
    func discardRevoked(_ job: Job) {
        logger.info("Discarding revoked task: \(job.label)")
        fail(job, state: .revoked, exception: .revoked("revoked"), traceback: nil, ackTag: ackTag(settling: job))
    }

    /// Periodic duties: liveness key, renewing held deliveries, refreshing revoked ids.
    private func housekeeping() {
        let now = Date()
        if now.timeIntervalSince(lastHeartbeat) >= Self.heartbeatInterval, state == .running {
            sendHeartbeat()
            lastHeartbeat = now
        }
        if now.timeIntervalSince(lastAlive) >= 2, state != .stopped {
            writes.markAlive(holder: configuration.claimHolder, seconds: configuration.livenessSeconds)
            lastAlive = now
        }
        if now.timeIntervalSince(lastRenewal) >= max(0.5, configuration.visibilityTimeout / 3) {
            let held = pending.map(\.claimed.deliveryTag) + jobs.values.filter { $0.ack != .written }.map(\.claimed.deliveryTag)
            writes.renew(held)
            lastRenewal = now
        }
        if now.timeIntervalSince(lastRevokedSync) >= 10 {
            lastRevokedSync = now
            let url = configuration.brokerURL
            let post = self.post
            Task.detached {
                if let ids = Worker.loadRevoked(url) { post.yield(.revokedSync(ids)) }
            }
        }
    }

    /// A child for `job`: an idle one first; when none is idle and the task is known to be
    /// short, the least busy child holding fewer than `childWindow(for:)` jobs, so that it has its
    /// next task at hand instead of waiting a round trip for it.
    private func freeChild(for job: Job) -> (Int, ChildSlot)? {
        // Plain loops: this runs for every dispatch, and filtering the dictionary allocated twice.
        var idle: (number: Int, slot: ChildSlot)?
        for (number, slot) in children where slot.state == .ready && slot.jobs.isEmpty {
            if idle.map({ number < $0.number }) ?? true { idle = (number, slot) }
        }
        if let idle { return idle }
        guard isShort(job) else { return nil }
        // Only behind jobs that are short too: a long one would hold the queued ones back.
        var best: (number: Int, slot: ChildSlot)?
        let window = childWindow(for: job)
        for (number, slot) in children where slot.state == .ready && slot.jobs.count < window {
            if let current = best, (current.slot.jobs.count, current.number) <= (slot.jobs.count, number) { continue }
            guard slot.jobs.allSatisfy({ jobs[$0].map(isShort) ?? false }) else { continue }
            best = (number, slot)
        }
        return best
    }

    /// Whether a job may wait in a child's queue: its task's average run is short, and no hard
    /// time limit applies (a kill for it would take the queued jobs' child too).
    private func isShort(_ job: Job) -> Bool {
        guard let average = averageRuntime[job.message.name], average < Self.shortTaskRuntime else { return false }
        return job.message.timeLimits.hard == nil && timeLimitOverrides[job.message.name]?.hard == nil
            && job.info.timeLimit == nil && configuration.timeLimit == nil
    }

    /// Jobs a child holds at most for a short task: one running, the others queued behind it,
    /// about `childQueueSeconds` of work in all by the task's average run, between 4 and 16.
    /// A child with work at hand is seldom asleep when the next `run` frame comes, so
    /// fewer frames have to wake it: for tasks of microseconds the supervisor handles
    /// about 15 % more of them per second with 16 than with 4.
    private func childWindow(for job: Job) -> Int {
        let average = max(averageRuntime[job.message.name] ?? Self.shortTaskRuntime, 0.000_001)
        return min(Self.maximumChildWindow, max(Self.minimumChildWindow, Int(Self.childQueueSeconds / average)))
    }

    static let minimumChildWindow = 4
    static let maximumChildWindow = 16
    /// How much queued work (seconds, by average run time) a child may hold behind the running job.
    static let childQueueSeconds = 0.02
    /// Tasks whose average run is shorter than this (seconds) may wait in a child's queue.
    static let shortTaskRuntime = 0.005

    /// Keeps a moving average of each task's run time.
    private func recordRuntime(of name: String, _ seconds: Double) {
        averageRuntime[name] = averageRuntime[name].map { $0 * 0.8 + seconds * 0.2 } ?? seconds
    }

    /// Jobs sent to a child that died before they started: they go back to the front of
    /// the pending list (or to Redis when shutting down), with no delivery counted.
    private func takeBack(_ unstarted: [Job]) {
        guard !unstarted.isEmpty else { return }
        logger.info("Taking back \(unstarted.count) task(s) that waited in the child and never started: \(unstarted.map(\.label).joined(separator: ", "))")
        for job in unstarted { job.child = nil }
        if state.acceptsWork {
            pending.insert(contentsOf: unstarted, at: 0)
        } else {
            writes.restore(unstarted.map { ($0.claimed.deliveryTag, $0.homeList) })
        }
    }

    /// Sends a job to a child; it starts at once when the child holds nothing else.
    private func start(_ job: Job, on slot: ChildSlot, number: Int) {
        if let expires = job.message.expires, expires < Date() {
            revokeExpired(job)
            return
        }
        let limits = messageTimeLimits(job)
        let override = timeLimitOverrides[job.message.name]
        job.hardLimit = limits.hard ?? TimeLimitRange.clamped(override?.hard ?? job.info.timeLimit ?? configuration.timeLimit)
        let soft = limits.soft ?? TimeLimitRange.clamped(override?.soft ?? job.info.softTimeLimit ?? configuration.softTimeLimit)
        job.child = number
        jobs[job.number] = job
        slot.jobs.append(job.number)
        let frame = ToChild.RunRequest.encode(job: job.number, message: job.message, softTimeLimit: soft)
        if slot.jobs.count == 1 { begin(job, on: slot) }
        if !slot.process.send(encoded: frame) {
            logger.warning("child \(number) did not take \(job.label); it is exiting")
        }
    }

    /// The message's own `timelimit` header, each value held to what can be enforced (a value that
    /// means no limit, such as 0 or NaN, falls back to the task's and the worker's, as in Celery).
    private func messageTimeLimits(_ job: Job) -> (hard: Double?, soft: Double?) {
        let asked = job.message.timeLimits
        let hard = TimeLimitRange.accepted(asked.hard)
        let soft = TimeLimitRange.accepted(asked.soft)
        if let note = hard.adjustment { logger.warning("Task \(job.label): hard time limit \(note)") }
        if let note = soft.adjustment { logger.warning("Task \(job.label): soft time limit \(note)") }
        return (hard.seconds, soft.seconds)
    }

    /// A job's run begins on its child: start time, hard deadline, `task-started`, and the ack
    /// of an early-acking task.
    private func begin(_ job: Job, on slot: ChildSlot) {
        job.startedAt = Date()
        job.hardDeadline = job.hardLimit.map { Date().addingTimeInterval($0) }
        taskEvent("task-started", job)
        if !job.acksLate {
            job.ack = .deferred
        }
    }

    /// The delivery tag a write that settles `job` must ack: its own tag when the delivery is
    /// not acked yet, or when its early ack is still deferred (taken here, so it is written once).
    func ackTag(settling job: Job) -> String? {
        switch job.ack {
        case .pending:
            return job.claimed.deliveryTag
        case .deferred:
            job.ack = .written
            return job.claimed.deliveryTag
        case .written:
            return nil
        }
    }

    /// Writes the early acks still deferred: a task that runs past one tick (≤ 100 ms) is
    /// acked then, as Celery acks on start; one that finishes sooner had its ack written
    /// with its result. Until written, a crashed worker's delivery is restored (at least
    /// once) instead of lost.
    private func writeDeferredAcks() {
        for job in jobs.values where job.ack == .deferred {
            job.ack = .written
            writes.ack(job.claimed.deliveryTag)
        }
    }

    // MARK: - Time limits

    private func enforceTimeLimits() {
        let now = Date()
        for job in jobs.values {
            guard let deadline = job.hardDeadline, deadline < now, job.killedFor == nil,
                  let number = job.child, let slot = children[number] else { continue }
            let limit = job.hardLimit ?? 0
            logger.error("Hard time limit (\(limit)s) exceeded for \(job.label)")
            job.killedFor = (.failure, ExceptionInfo(type: "TimeLimitExceeded", arguments: [.double(limit)], module: "billiard.exceptions"))
            slot.state = .retiring
            slot.kill()
        }
    }

    // MARK: - Shutdown

    func beginWarmShutdown() {
        guard state == .running || state == .starting else { return }
        logger.warning("worker: Warm shutdown (MainProcess)")
        transition(to: .warmShutdown(deadline: Date().addingTimeInterval(configuration.shutdownTimeout)))
        claimer?.stop()
        giveBackPending()
        for slot in children.values where slot.jobs.isEmpty {
            slot.state = .retiring
            slot.process.requestShutdown()
        }
        checkShutdownProgress()
    }

    private func beginColdShutdown() {
        guard state != .coldShutdown && state != .stopped else { return }
        logger.warning("worker: Cold shutdown (MainProcess)")
        transition(to: .coldShutdown)
        claimer?.stop()
        giveBackPending()
        var giveBack: [(tag: String, list: String)] = []
        for job in jobs.values.sorted(by: { $0.number < $1.number }) {
            if job.ack == .written {
                republish(job.message, list: job.homeList)
            } else {
                giveBack.append((job.claimed.deliveryTag, job.homeList))
            }
            logger.warning("Gave back running task \(job.label)")
        }
        jobs.removeAll()
        writes.restore(giveBack)
        for slot in children.values { slot.kill() }
        children.removeAll()
        writes.markGone(holder: configuration.claimHolder)
        events.worker("worker-offline", workerEventFields())
        recordStatus(workerEventFields(), online: false)
        finishShutdown()
    }

    /// Returns messages the claimer took just before shutdown stopped it: they would never start.
    private func giveBackLateClaims(_ messages: [ClaimedMessage]) {
        let deliveries = messages.filter { !$0.deliveryTag.isEmpty }.map { claimed in
            let list = (try? TaskMessage(envelope: claimed.envelope))?.targetList(fallbackQueue: claimed.queue) ?? claimed.queue
            return (tag: claimed.deliveryTag, list: list)
        }
        guard !deliveries.isEmpty else { return }
        logger.info("Restoring \(deliveries.count) unacknowledged message(s) claimed as shutdown began")
        writes.restore(deliveries)
    }

    /// Returns claimed-but-unstarted messages to the head of their lists.
    private func giveBackPending() {
        guard !pending.isEmpty else { return }
        logger.info("Restoring \(pending.count) unacknowledged message(s)")
        writes.restore(pending.map { ($0.claimed.deliveryTag, $0.homeList) })
        pending.removeAll()
    }

    private func checkShutdownProgress() {
        guard case .warmShutdown(let deadline) = state else { return }
        for slot in children.values where slot.jobs.isEmpty && slot.state != .retiring {
            slot.state = .retiring
            slot.process.requestShutdown()
        }
        if jobs.isEmpty && children.isEmpty && chordJoinsInFlight == 0 {
            writes.markGone(holder: configuration.claimHolder)
            events.worker("worker-offline", workerEventFields())
            recordStatus(workerEventFields(), online: false)
            finishShutdown()
        } else if Date() > deadline {
            logger.warning("Shutdown timeout (\(configuration.shutdownTimeout)s) reached with \(jobs.count) task(s) running")
            beginColdShutdown()
        }
    }

    /// Flushes every queued write, then stops the loop.
    private func finishShutdown() {
        guard !flushing else { return }
        flushing = true
        let deadline = Date().addingTimeInterval(10)
        writes.broker.giveUp(after: deadline)
        writes.backend.giveUp(after: deadline)
        Task { [writes, post] in
            await writes.flush()
            post.yield(.writesFlushed)
        }
    }

    private var flushing = false
}


/// The conventional name of a signal number.
func signalName(_ number: Int32) -> String {
    switch number {
    case SIGKILL: return "SIGKILL"
    case SIGTERM: return "SIGTERM"
    case SIGILL: return "SIGILL"
    case SIGSEGV: return "SIGSEGV"
    case SIGABRT: return "SIGABRT"
    case SIGTRAP: return "SIGTRAP"
    case SIGBUS: return "SIGBUS"
    case SIGFPE: return "SIGFPE"
    case SIGINT: return "SIGINT"
    default: return "signal \(number)"
    }
}

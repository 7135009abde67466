import Foundation
import Logging
import ServiceLifecycle
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
    private let events: AsyncStream<WorkerEvent>
    let post: AsyncStream<WorkerEvent>.Continuation
    let writes: WorkerWrites
    private var claimer: MessageClaimer?

    // Event-loop state: touched only inside `run()`.
    private(set) var state: WorkerState = .starting
    var children: [Int: ChildSlot] = [:]
    var tasks: [String: TaskInfo] = [:]
    var jobs: [Int: Job] = [:]
    var pending: [Job] = []
    private var nextJobNumber = 0
    private var nextChildNumber = 0
    private var creditsOut = 0
    private var startedAt = Date()
    var processed = 0
    var totals: [String: Int] = [:]

    /// Prepares a worker; `run()` starts it.
    public init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        (events, post) = AsyncStream<WorkerEvent>.makeStream()
        let broker = RedisWriter(url: configuration.brokerURL, name: "taskq.writer.broker", logger: logger)
        let shared = configuration.brokerURL == configuration.backendURL
        let backend = shared ? broker : RedisWriter(url: configuration.backendURL, name: "taskq.writer.backend", logger: logger)
        writes = WorkerWrites(broker: broker, backend: backend, shared: shared, resultExpiry: configuration.resultExpiry)
    }

    /// Asks for a shutdown: warm the first time, cold when `cold` is true.
    public func requestShutdown(cold: Bool) {
        post.yield(.shutdown(cold: cold))
    }

    /// Runs until a warm shutdown finishes or a cold one is done.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.runLoop()
        } onGracefulShutdown: {
            self.post.yield(.shutdown(cold: false))
        }
    }

    private func runLoop() async throws {
        startedAt = Date()
        try verifyBroker()
        for _ in 0..<configuration.concurrency { try spawnChild() }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                self.post.yield(.tick)
            }
        }
        defer { ticker.cancel() }
        let helloDeadline = Date().addingTimeInterval(30)
        for await event in events {
            handle(event)
            if state == .starting && Date() > helloDeadline {
                throw WorkerError("the app executable \(configuration.executable) started but never said hello; does it call 'try await app.run()'?")
            }
            if state == .stopped { break }
        }
        writes.broker.stop()
        if writes.backend !== writes.broker { writes.backend.stop() }
    }

    /// Fails fast with one clear line when Redis cannot be reached at start.
    private func verifyBroker() throws {
        do {
            let connection = try RedisConnection(url: configuration.brokerURL)
            try connection.command(RedisCommand("PING"))
            connection.close()
        } catch {
            logger.error("\(error). Will keep trying to connect with backoff.")
        }
    }

    // MARK: - Events

    private func handle(_ event: WorkerEvent) {
        switch event {
        case .claimed(let messages):
            creditsOut -= messages.count
            for message in messages { receive(message) }
            dispatchPending()
        case .frame(let child, let frame):
            handleFrame(frame, from: child)
        case .childExited(let child, let status, let signaled):
            childExited(child, status: status, signaled: signaled)
        case .tick:
            enforceTimeLimits()
            dispatchPending()
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
    }

    func transition(to next: WorkerState) {
        guard state.allows(next) else { return }
        logger.debug("worker state \(state) -> \(next)")
        state = next
    }

    // MARK: - Children

    private func spawnChild() throws {
        nextChildNumber += 1
        let number = nextChildNumber
        let post = self.post
        let process = try ChildProcess(
            number: number, executable: configuration.executable,
            environment: ["TASKQ_BROKER_URL": configuration.brokerURL.rawForChild,
                          "TASKQ_RESULT_BACKEND": configuration.backendURL.rawForChild],
            onFrame: { post.yield(.frame(child: number, $0)) },
            onExit: { status, signaled in post.yield(.childExited(child: number, status: status, signaled: signaled)) })
        children[number] = ChildSlot(process: process)
    }

    private func handleFrame(_ frame: JSONValue, from number: Int) {
        guard let slot = children[number] else { return }
        switch frame["type"]?.stringValue {
        case "hello":
            if tasks.isEmpty {
                for entry in frame["tasks"]?.arrayValue ?? [] {
                    guard let name = entry["name"]?.stringValue else { continue }
                    tasks[name] = TaskInfo(name: name, options: entry["options"] ?? .object([:]))
                }
            }
            if slot.state == .starting { slot.state = .ready }
            if state == .starting && children.values.allSatisfy({ $0.state != .starting }) {
                transition(to: .running)
                printBanner()
                startClaimer()
            }
            dispatchPending()
        case "done":
            guard let jobNumber = frame["job"]?.intValue, let job = jobs[jobNumber] else { return }
            slot.jobs.remove(jobNumber)
            slot.tasksRun += 1
            jobs[jobNumber] = nil
            processed += 1
            totals[job.message.name, default: 0] += 1
            finish(job, frame: frame)
            recycleIfNeeded(slot, number: number)
            dispatchPending()
        default:
            logger.warning("child \(number) sent an unknown frame: \(frame.jsonText)")
        }
    }

    private func recycleIfNeeded(_ slot: ChildSlot, number: Int) {
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
        for jobNumber in slot.jobs.sorted() {
            guard let job = jobs.removeValue(forKey: jobNumber) else { continue }
            processed += 1
            totals[job.message.name, default: 0] += 1
            childLost(job, how: how, pid: slot.process.pid)
        }
        if slot.state != .retiring && state.replacesChildren {
            logger.error("Process \(slot.process.pid) (child \(number)) exited with \(how)")
        }
        if state.replacesChildren {
            do { try spawnChild() } catch { logger.error("cannot start a replacement child: \(error)") }
        }
        checkShutdownProgress()
    }

    // MARK: - Claiming and dispatch

    private func startClaimer() {
        let post = self.post
        claimer = MessageClaimer(configuration: configuration, logger: logger) { post.yield(.claimed($0)) }
    }

    /// How many messages the worker holds at most: claimed, waiting and running.
    private var prefetchLimit: Int { max(1, children.count * max(1, configuration.prefetchMultiplier)) }

    private func refillCredits() {
        guard state.acceptsWork, let claimer else { return }
        let wanted = prefetchLimit - pending.count - jobs.count - creditsOut
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
            writes.deadLetter(tag: claimed.deliveryTag, reason: "delivered \(claimed.deliveries) times without finishing; every attempt lost its worker or child", queue: claimed.queue)
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
        if let expires = message.expires, expires < Date() {
            revokeExpired(job)
            return
        }
        if let eta = message.eta, eta.timeIntervalSinceNow > 0.005 {
            writes.schedule(message, due: eta, list: job.homeList, replacing: claimed.deliveryTag)
            logger.info("Task \(job.label) scheduled for \(CeleryTime.format(eta))")
            return
        }
        pending.append(job)
    }

    /// Starts pending jobs on children with a free slot.
    func dispatchPending() {
        guard state.acceptsWork else { return }
        while !pending.isEmpty {
            guard let (number, slot) = freeChild() else { return }
            let job = pending.removeFirst()
            start(job, on: slot, number: number)
        }
    }

    private func freeChild() -> (Int, ChildSlot)? {
        children.filter { $0.value.state == .ready && $0.value.jobs.isEmpty }.min { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func start(_ job: Job, on slot: ChildSlot, number: Int) {
        if let expires = job.message.expires, expires < Date() {
            revokeExpired(job)
            return
        }
        let limits = job.message.timeLimits
        job.hardLimit = limits.hard ?? job.info.timeLimit ?? configuration.timeLimit
        let soft = limits.soft ?? job.info.softTimeLimit ?? configuration.softTimeLimit
        job.child = number
        job.startedAt = Date()
        job.hardDeadline = job.hardLimit.map { Date().addingTimeInterval($0) }
        jobs[job.number] = job
        slot.jobs.insert(job.number)
        let frame: JSONValue = .object([
            "type": "run",
            "job": .int(job.number),
            "id": .string(job.message.id),
            "task": .string(job.message.name),
            "args": .array(job.message.args),
            "kwargs": .object(job.message.kwargs),
            "retries": .int(job.message.retries),
            "root_id": job.message.rootID.map(JSONValue.string) ?? .null,
            "parent_id": job.message.parentID.map(JSONValue.string) ?? .null,
            "soft_time_limit": soft.map(JSONValue.double) ?? .null,
        ])
        if !job.acksLate {
            writes.ack(job.claimed.deliveryTag)
            job.acked = true
        }
        if !slot.process.send(frame) {
            logger.warning("child \(number) did not take \(job.label); it is exiting")
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
            slot.process.kill()
        }
    }

    // MARK: - Shutdown

    private func beginWarmShutdown() {
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
            if job.acked {
                republish(job.message, list: job.homeList)
            } else {
                giveBack.append((job.claimed.deliveryTag, job.homeList))
            }
            logger.warning("Gave back running task \(job.label)")
        }
        jobs.removeAll()
        writes.restore(giveBack)
        for slot in children.values { slot.process.kill() }
        children.removeAll()
        finishShutdown()
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
        if jobs.isEmpty && children.isEmpty {
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
        Task { [writes, post] in
            await writes.flush()
            post.yield(.writesFlushed)
        }
    }

    private var flushing = false
}

extension RedisURL {
    /// The URL with its password, for the children's environment only (never printed).
    var rawForChild: String {
        let auth: String
        switch (username, password) {
        case (nil, nil): auth = ""
        case (let user, let password):
            auth = "\(user ?? "")\(password.map { ":\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? "")@"
        }
        switch endpoint {
        case .tcp(let host, let port): return "redis://\(auth)\(host):\(port)/\(database)"
        case .unix(let path): return "unix://\(auth)\(path)?db=\(database)"
        }
    }
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

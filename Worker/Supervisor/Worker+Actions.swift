import FoundationEssentials
import Logging
import TaskQ

/// Carrying out the core's actions: frames to children, writes, events, side requests.
extension Worker {
    /// Performs one action; events it answers at once (a child started or could not) go to `answers`.
    func perform(_ action: SupervisorAction, answers: inout [SupervisorEvent]) throws {
        switch action {
        case .spawnChild(let number):
            do {
                let process = try spawnChild(number)
                processes[number] = process
                answers.append(.childSpawned(child: number, pid: process.pid))
            } catch {
                answers.append(.childSpawnFailed(child: number, reason: "\(error)"))
            }
        case .sendRun(let child, let job, let softTimeLimit):
            let frame = ToChild.RunRequest.encode(job: job.number, message: job.message, softTimeLimit: softTimeLimit)
            if processes[child]?.send(encoded: frame) != true {
                logger.warning("child \(child) did not take \(job.label); it is exiting")
            }
        case .sendDrop(let child, let job):
            _ = processes[child]?.send(encoded: ToChild.drop(job: job).encoded)
        case .sendCancel(let child, let job):
            _ = processes[child]?.send(encoded: ToChild.cancel(job: job).encoded)
        case .askChildToExit(let child):
            processes[child]?.requestShutdown()
        case .killChild(let child, let signal):
            processes[child]?.kill(signal: signal)
        case .startClaimer(let queues):
            claimer?.stop()
            var current = configuration
            current.queues = queues
            let post = self.post
            claimer = MessageClaimer(configuration: current, logger: logger) { post.yield(.claimed($0)) }
        case .stopClaimer:
            claimer?.stop()
        case .grantCredits(let count):
            claimer?.grant(count)
        case .ack(let tag):
            writes.ack(tag)
        case .store(let record, let ackTag):
            writes.store(record, ackTag: ackTag)
        case .storeIfWaiting(let record):
            writes.storeIfWaiting(record)
        case .deadLetter(let tag, let reason, let queue):
            writes.deadLetter(tag: tag, reason: reason, queue: queue)
        case .schedule(let message, let due, let list, let replacing):
            writes.schedule(message, due: due, list: list, replacing: replacing)
        case .restore(let deliveries, let countsAsDelivery):
            writes.restore(deliveries.map { ($0.tag, $0.list) }, countsAsDelivery: countsAsDelivery)
        case .publishCanvas(let chordSizes, let messages):
            writes.startCanvas(chordSizes: chordSizes, messages: messages)
        case .republish(let message, let list):
            writes.broker.enqueue([.command(RedisCommand("RPUSH", list, writes.envelope(message)))])
        case .renew(let tags):
            writes.renew(tags)
        case .markAlive:
            writes.markAlive(holder: configuration.claimHolder, seconds: configuration.livenessSeconds)
        case .markGone:
            writes.markGone(holder: configuration.claimHolder)
        case .recordRevoked(let ids, let until):
            writes.recordRevoked(ids, until: until)
        case .taskEvent(let kind, let job, let fields, let published):
            publish(kind, job, fields, publish: published)
        case .workerEvent(let kind):
            events.worker(kind.rawValue, workerEventFields())
        case .recordStatus(let online):
            recordStatus(workerEventFields(), online: online)
        case .announceReady:
            printBanner()
        case .askSharedToken(let job, let task, let interval):
            askSharedToken(job: job, task: task, interval: interval)
        case .joinChord(let request):
            joinChord(request)
        case .syncRevoked:
            syncRevoked()
        case .wake(let seconds):
            let post = self.post
            startSideRequest.yield {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000) + 1))
                post.yield(.tick)
            }
        case .reply(let request, let value):
            control?.reply(to: request, value: value, clock: core.controlClock)
        case .flushWrites:
            flushWrites()
        case .stop:
            break
        case .abort(let reason):
            throw WorkerError(reason)
        case .log(let level, let text):
            logger.log(level: level, "\(text)")
        }
    }

    /// Starts child `number`; its frames and exit come back as events.
    func spawnChild(_ number: Int) throws -> ChildProcess {
        let post = self.post
        let logger = self.logger
        return try ChildProcess(
            number: number, executable: configuration.executable,
            environment: ["TASKQ_BROKER_URL": configuration.brokerURL.unmasked,
                          "TASKQ_RESULT_BACKEND": configuration.backendURL.unmasked,
                          ChildServer.poolVariable: configuration.pool.kind.rawValue],
            reactor: reactor,
            onFrame: { frame in
                switch Result(catching: { try FromChild(frame: frame) }) {
                case .success(.hello(_, _, let tasks, _)):
                    post.yield(.childHello(child: number, tasks: tasks))
                case .success(.done(let job, let outcome)):
                    post.yield(.childDone(child: number, job: job, outcome: outcome, residentKiB: nil))
                case .failure(let error):
                    logger.warning("child \(number) sent a frame the worker cannot use: \(error)")
                }
            },
            onExit: { status, signaled in post.yield(.childExited(child: number, status: status, signaled: signaled)) })
    }
}

import FoundationEssentials
import Logging
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Intake: what happens to a claimed message before it may be dispatched (decoding, poison, unregistered, revoked, expired, ETA hold).
extension Worker {
    func receive(_ claimed: ClaimedMessage) {
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

    func rememberHeldForETA(_ job: Job) {
        if heldForETA.count >= Self.maximumHeldForETAListed {
            let now = Date()
            heldForETA = heldForETA.filter { ($0.value.message.eta ?? now) > now }
            if heldForETA.count >= Self.maximumHeldForETAListed { return }
        }
        heldForETA[job.message.id] = job
    }

    /// Stores REVOKED for a message whose id was revoked, and acks it.
    func discardRevoked(_ job: Job) {
        logger.info("Discarding revoked task: \(job.label)")
        fail(job, state: .revoked, exception: .revoked("revoked"), traceback: nil, ackTag: ackTag(settling: job))
    }
}

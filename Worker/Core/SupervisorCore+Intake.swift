import FoundationEssentials
import TaskQ

/// Intake: what happens to a claimed message before it may be dispatched (decoding, poison,
/// unregistered, revoked, expired, ETA hold).
extension SupervisorCore {
    /// The envelope property marking a message that was received once and then held for its
    /// ETA in the scheduled set, so it is not announced as received a second time.
    static let heldForETAProperty = "taskq_held_for_eta"

    /// The most ETA messages remembered for `inspect scheduled`; older ones are still run, only not listed.
    static let maximumHeldForETAListed = 10_000

    /// An ETA closer than this (seconds) is run at once instead of held.
    static let etaSlack = 0.005

    mutating func receive(_ claimed: ClaimedMessage) {
        let message: TaskMessage
        do {
            message = try claimed.decoded.get()
            try checkReplay(message, claimed)
        } catch {
            let what = Self.taskLabel(claimed.envelope).map { "a message for task \($0)" } ?? "an invalid message"
            log(.error, "Received \(what) on queue '\(claimed.queue)' and refused it: \(error). Moved it to the dead-letter list \(CeleryKeys.deadLetters)")
            emit(.deadLetter(tag: claimed.deliveryTag, reason: String(describing: error), queue: claimed.queue))
            return
        }
        if claimed.deliveries > configuration.maxDeliveries {
            log(.error, "Task \(message.name)[\(message.id)] was delivered \(claimed.deliveries) times without finishing (poison message?). Moved it to the dead-letter list \(CeleryKeys.deadLetters)")
            let reason = "delivered \(claimed.deliveries) times without finishing; every attempt lost its worker or child"
            let record = ResultRecord(taskID: message.id, status: .failure,
                                      exception: .workerLost("moved to the dead-letter list \(CeleryKeys.deadLetters): \(reason)"),
                                      traceback: nil, dateDone: now, extra: Self.parentExtras(message))
            // The dead-letter entry first: a client that reads the failure finds the entry it names.
            emit(.deadLetter(tag: claimed.deliveryTag, reason: reason, queue: claimed.queue))
            emit(.store(record, ackTag: nil))
            return
        }
        guard let info = tasks[message.name] else {
            log(.error, "Received unregistered task of type '\(message.name)'. The message has been ignored and discarded. Did you register it in the app executable (\(configuration.executable))?")
            let record = ResultRecord(taskID: message.id, status: .failure, exception: .notRegistered(message.name),
                                      traceback: nil, dateDone: now, extra: Self.parentExtras(message))
            emit(.store(record, ackTag: claimed.deliveryTag))
            return
        }
        nextJobNumber += 1
        let job = Job(number: nextJobNumber, message: message, claimed: claimed, info: info,
                      acksLate: info.acksLate ?? configuration.acksLate, receivedAt: now)
        log(.info, "Task \(job.label) received")
        // A message this worker (or another) already received and held for its ETA is met again when due.
        heldForETA[message.id] = nil
        if message.properties[Self.heldForETAProperty] == nil {
            taskEvent(.received, job, Self.receivedFields(job))
        }
        if revokedIDs.contains(message.id, now: epoch) {
            discardRevoked(job)
            return
        }
        if let expires = message.expires, expires < now {
            revokeExpired(job)
            return
        }
        if let eta = message.eta, eta.timeIntervalSince(now) > Self.etaSlack {
            holdForETA(job, eta: eta)
            return
        }
        pending.append(job)
    }

    /// Refuses a header-signed message this worker already took within the replay window.
    mutating func checkReplay(_ message: TaskMessage, _ claimed: ClaimedMessage) throws {
        guard configuration.reader.requiresHeaderSignature, claimed.deliveries <= 1,
              let signature = message.headers[HeaderSignature.header]?["signature"]?.stringValue else { return }
        guard replayGuard.admit(signature, now: now, window: configuration.reader.replayWindow) else {
            throw SecurityError.replayed("task \(message.id) was taken before with the same header signature")
        }
    }

    /// `name[id]` of a refused envelope, when its headers can be read at all, for the log line.
    static func taskLabel(_ envelope: [UInt8]) -> String? {
        guard let headers = (try? JSONValue.parse(envelope))?["headers"], let id = headers["id"]?.stringValue else { return nil }
        return "\(headers["task"]?.stringValue ?? "?")[\(id)]"
    }

    /// Puts a message whose ETA is ahead in the scheduled set (acking its delivery in the same
    /// step), marked so that it is not announced as received again when it comes due.
    mutating func holdForETA(_ job: Job, eta: Date) {
        var held = job.message
        held.properties[Self.heldForETAProperty] = .bool(true)
        if let signature = held.headers[HeaderSignature.header]?["signature"]?.stringValue { replayGuard.forget(signature) }
        emit(.schedule(held, due: eta, list: job.homeList, replacing: job.claimed.deliveryTag))
        job.move(to: .finished)
        rememberHeldForETA(job)
        log(.info, "Task \(job.label) scheduled for \(CeleryTime.format(eta))")
    }

    /// Lists a held job for `inspect scheduled`, up to `maximumHeldForETAListed` (past ones are dropped first).
    mutating func rememberHeldForETA(_ job: Job) {
        if heldForETA.count >= Self.maximumHeldForETAListed {
            let now = self.now
            heldForETA = heldForETA.filter { ($0.value.message.eta ?? now) > now }
            if heldForETA.count >= Self.maximumHeldForETAListed { return }
        }
        heldForETA[job.message.id] = job
    }

    /// Stores REVOKED for a message whose id was revoked, and acks it.
    mutating func discardRevoked(_ job: Job) {
        log(.info, "Discarding revoked task: \(job.label)")
        fail(job, state: .revoked, exception: .revoked("revoked"), traceback: nil)
    }

    /// Stores REVOKED `expired` for a message past its `expires` time.
    mutating func revokeExpired(_ job: Job) {
        fail(job, state: .revoked, exception: .revoked("expired"), traceback: nil)
    }

    /// `parent_id` / `group_id` members of a result record, as Celery writes them.
    static func parentExtras(_ message: TaskMessage) -> [String: JSONValue] {
        var extra: [String: JSONValue] = [:]
        if let parent = message.parentID { extra["parent_id"] = .string(parent) }
        if let group = message.groupID { extra["group_id"] = .string(group) }
        return extra
    }
}

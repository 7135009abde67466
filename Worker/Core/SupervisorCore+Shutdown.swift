import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Warm and cold shutdown, and the final flush of writes.
///
/// Warm: stop claiming, give back what waits in the worker, let running tasks finish until
/// `--shutdown-timeout`, retire idle children, await chord joins, flush. Cold (a second
/// signal, SIGQUIT, or the timeout): kill the children and give back every message they held.
extension SupervisorCore {
    mutating func beginWarmShutdown() {
        guard !lifecycle.isShuttingDown else { return }
        log(.warning, "worker: Warm shutdown (MainProcess)")
        transition(to: .draining(deadline: now.addingTimeInterval(configuration.shutdownTimeout)))
        stopClaiming()
        giveBackPending()
        checkShutdownProgress()
    }

    mutating func beginColdShutdown() {
        switch lifecycle {
        case .flushing, .stopped: return
        default: break
        }
        log(.warning, "worker: Cold shutdown (MainProcess)")
        stopClaiming()
        giveBackPending()
        var giveBack: [Delivery] = []
        for job in jobs.values.sorted(by: { $0.number < $1.number }) {
            if job.ack == .written {
                // Acked already (an early ack): a new copy goes to the head of its list.
                emit(.republish(job.message, list: job.homeList))
            } else {
                giveBack.append(job.delivery)
            }
            job.move(to: .finished)
            log(.warning, "Gave back running task \(job.label)")
        }
        jobs.removeAll()
        if !giveBack.isEmpty { emit(.restore(giveBack, countsAsDelivery: false)) }
        for slot in children.values.sorted(by: { $0.number < $1.number }) { kill(slot, signal: SIGKILL) }
        children.removeAll()
        finishShutdown()
    }

    mutating func stopClaiming() {
        guard claiming else { return }
        claiming = false
        emit(.stopClaimer)
    }

    /// Returns messages the claimer took just before shutdown stopped it: they would never start.
    mutating func giveBackLateClaims(_ messages: [ClaimedMessage]) {
        let deliveries = messages.filter { !$0.deliveryTag.isEmpty }.map { claimed in
            let list = (try? claimed.decoded.get())?.targetList(fallbackQueue: claimed.queue) ?? claimed.queue
            return Delivery(tag: claimed.deliveryTag, list: list)
        }
        guard !deliveries.isEmpty else { return }
        log(.info, "Restoring \(deliveries.count) unacknowledged message(s) claimed as shutdown began")
        emit(.restore(deliveries, countsAsDelivery: false))
    }

    /// Returns claimed-but-unstarted messages to the head of their lists.
    mutating func giveBackPending() {
        guard !pending.isEmpty else { return }
        log(.info, "Restoring \(pending.count) unacknowledged message(s)")
        for job in pending { job.move(to: .finished) }
        emit(.restore(pending.map(\.delivery), countsAsDelivery: false))
        pending.removeAll()
    }

    /// Moves a warm shutdown along: idle children are asked to exit; with no task or child
    /// left it awaits the chord joins in flight, then flushes; past the deadline it turns cold.
    mutating func checkShutdownProgress() {
        switch lifecycle {
        case .draining(let deadline):
            for slot in children.values.sorted(by: { $0.number < $1.number }) where slot.jobs.isEmpty && slot.state != .retiring && slot.state != .killed {
                slot.move(to: .retiring)
                emit(.askChildToExit(slot.number))
            }
            if jobs.isEmpty && children.isEmpty {
                transition(to: .awaitingChordJoins(deadline: deadline))
                checkShutdownProgress()
            } else if now > deadline {
                log(.warning, "Shutdown timeout (\(configuration.shutdownTimeout)s) reached with \(jobs.count) task(s) running")
                beginColdShutdown()
            }
        case .awaitingChordJoins(let deadline):
            if chordJoinsInFlight == 0 {
                finishShutdown()
            } else if now > deadline {
                log(.warning, "Shutdown timeout (\(configuration.shutdownTimeout)s) reached with \(chordJoinsInFlight) chord join(s) unanswered")
                finishShutdown()
            }
        default:
            break
        }
    }

    /// Says goodbye (liveness key, `worker-offline`, status) and flushes every queued write.
    mutating func finishShutdown() {
        guard transition(to: .flushing) else { return }
        emit(.markGone)
        emit(.workerEvent(.offline))
        emit(.recordStatus(online: false))
        emit(.flushWrites)
    }
}

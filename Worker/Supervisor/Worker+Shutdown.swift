import FoundationEssentials
import Logging
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Warm and cold shutdown, and the final flush of writes.
extension Worker {
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

    func beginColdShutdown() {
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
    func giveBackLateClaims(_ messages: [ClaimedMessage]) {
        let deliveries = messages.filter { !$0.deliveryTag.isEmpty }.map { claimed in
            let list = (try? TaskMessage(envelope: claimed.envelope))?.targetList(fallbackQueue: claimed.queue) ?? claimed.queue
            return (tag: claimed.deliveryTag, list: list)
        }
        guard !deliveries.isEmpty else { return }
        logger.info("Restoring \(deliveries.count) unacknowledged message(s) claimed as shutdown began")
        writes.restore(deliveries)
    }

    /// Returns claimed-but-unstarted messages to the head of their lists.
    func giveBackPending() {
        guard !pending.isEmpty else { return }
        logger.info("Restoring \(pending.count) unacknowledged message(s)")
        writes.restore(pending.map { ($0.claimed.deliveryTag, $0.homeList) })
        pending.removeAll()
    }

    func checkShutdownProgress() {
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
    func finishShutdown() {
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
}

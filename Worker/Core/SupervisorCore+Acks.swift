import TaskQ

/// The ack ledger: which write settles each delivery, and when an early ack goes out.
extension SupervisorCore {
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
    mutating func writeDeferredAcks() {
        for job in jobs.values where job.ack == .deferred {
            job.ack = .written
            emit(.ack(tag: job.claimed.deliveryTag))
        }
    }
}

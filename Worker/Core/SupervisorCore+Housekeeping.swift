import FoundationEssentials
import TaskQ

/// Periodic duties, on the timer: heartbeats, the liveness key, renewing held deliveries,
/// refreshing the revoked ids from Redis.
extension SupervisorCore {
    /// Seconds between `worker-heartbeat` events (Celery's default).
    static let heartbeatInterval = 2.0
    /// Seconds between refreshes of the liveness key.
    static let aliveInterval = 2.0
    /// Seconds between reads of the revoked ids in Redis.
    static let revokedSyncInterval = 10.0

    mutating func housekeeping() {
        if now.timeIntervalSince(lastHeartbeat) >= Self.heartbeatInterval, lifecycle == .running {
            emit(.workerEvent(.heartbeat))
            emit(.recordStatus(online: true))
            lastHeartbeat = now
        }
        if now.timeIntervalSince(lastAlive) >= Self.aliveInterval, lifecycle != .stopped {
            emit(.markAlive)
            lastAlive = now
        }
        if now.timeIntervalSince(lastRenewal) >= max(0.5, configuration.visibilityTimeout / 3) {
            let held = pending.map(\.claimed.deliveryTag) + jobs.values.filter { $0.ack != .written }.map(\.claimed.deliveryTag)
            if !held.isEmpty { emit(.renew(held)) }
            lastRenewal = now
        }
        if now.timeIntervalSince(lastRevokedSync) >= Self.revokedSyncInterval {
            lastRevokedSync = now
            emit(.syncRevoked)
        }
    }
}

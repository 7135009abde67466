import FoundationEssentials
import Logging
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Periodic duties: heartbeats, the liveness key, renewing held deliveries, refreshing revoked ids.
extension Worker {
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

    /// Periodic duties: liveness key, renewing held deliveries, refreshing revoked ids.
    func housekeeping() {
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
}

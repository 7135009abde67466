import Foundation
import TaskQ

/// Sends `count` calls of task `name` (argument: the index) in one batch and waits for every
/// result; returns the seconds from the send to the last result.
package func timedBatch(_ url: RedisURL, _ name: String, count: Int, timeout: Duration = .seconds(30)) async throws -> Double {
    let app = App("tests", broker: url.unmasked)
    let started = Date()
    let ids = try await app.sendBatch((0..<count).map { BatchCall(name: name, args: [.int($0)]) })
    for id in ids { _ = try await app.asyncResult(id, as: Int.self).get(timeout: timeout) }
    return Date().timeIntervalSince(started)
}

import Foundation
import Logging
import TaskQ

/// Records every state PUBLISHed on a task's result channel, with the time it arrived.
package final class StateRecorder: @unchecked Sendable {
    private let subscriber: RedisSubscriber
    private let lock = NSLock()
    private var seen: [(state: String, at: Date)] = []
    private var subscribed = false

    /// Subscribes and waits until the subscription is confirmed.
    package init(url: RedisURL, taskID: String) throws {
        subscriber = RedisSubscriber(url: url, name: "test.recorder", logger: Logger(label: "test"))
        _ = subscriber.subscribe(CeleryKeys.result(taskID)) { [weak self] event in
            guard let self else { return }
            switch event {
            case .subscribed, .current:
                self.lock.withLock { self.subscribed = true }
            case .message(_, let payload):
                let state = (try? JSONValue.parse(payload))?["status"]?.stringValue ?? "?"
                self.lock.withLock { self.seen.append((state, Date())) }
            case .expired:
                break
            }
        }
        _ = try TestRedis.waitUntil(timeout: 10) { self.lock.withLock { self.subscribed } }
    }

    /// The states in the order they were published.
    package var states: [String] { lock.withLock { seen.map(\.state) } }

    /// When each state arrived.
    package var times: [Date] { lock.withLock { seen.map(\.at) } }

    deinit { subscriber.stop() }
}

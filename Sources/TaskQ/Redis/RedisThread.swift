import FoundationEssentials

/// A dedicated OS thread that runs blocking Redis work in submission order.
///
/// Blocking hiredis calls must never run on Swift's cooperative pool (two
/// threads on two cores); each `RedisThread` is one thread of its own.
package final class RedisThread: Sendable {
    private struct Queue: Sendable {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }

    private let queue = PosixCondition(Queue())

    /// Starts the thread.
    package init(name: String) {
        PosixThread.start(name: name) { [self] in self.loop() }
    }

    /// Queues a job; it runs after every job queued before it.
    package func submit(_ job: @escaping @Sendable () -> Void) {
        let wasIdle = queue.withLock { queue in
            defer { queue.jobs.append(job) }
            return queue.jobs.isEmpty
        }
        // Signalled after unlocking, so the thread does not wake only to block on the lock;
        // and only when it may be waiting (with jobs queued it looks again before it waits).
        if wasIdle { queue.signal() }
    }

    /// Runs `body` on the thread and returns its result to the caller.
    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Lets the thread finish its queued jobs and exit.
    package func stop() {
        queue.withLock { $0.stopped = true }
        queue.signal()
    }

    private func loop() {
        while true {
            let batch: [@Sendable () -> Void]? = queue.withLock(waitingUntil: { !$0.jobs.isEmpty || $0.stopped }) { queue in
                if queue.jobs.isEmpty { return nil }   // stopped, and nothing left to run
                let batch = queue.jobs
                queue.jobs.removeAll(keepingCapacity: true)
                return batch
            }
            guard let batch else { return }
            for job in batch { job() }
        }
    }
}

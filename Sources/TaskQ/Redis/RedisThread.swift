import FoundationEssentials

/// A dedicated OS thread that runs blocking Redis work in submission order.
///
/// Blocking hiredis calls must never run on Swift's cooperative pool (two
/// threads on two cores); each `RedisThread` is one thread of its own.
package final class RedisThread: @unchecked Sendable {
    // Safe: `jobs` and `stopped` are only touched while holding `condition`.
    private let condition = PosixCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopped = false

    /// Starts the thread.
    package init(name: String) {
        PosixThread.start(name: name) { [self] in self.loop() }
    }

    /// Queues a job; it runs after every job queued before it.
    package func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        let wasIdle = jobs.isEmpty
        jobs.append(job)
        condition.unlock()
        // Signalled after unlocking, so the thread does not wake only to block on the lock;
        // and only when it may be waiting (with jobs queued it looks again before it waits).
        if wasIdle { condition.signal() }
    }

    /// Runs `body` on the thread and returns its result to the caller.
    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Lets the thread finish its queued jobs and exit.
    package func stop() {
        condition.lock()
        stopped = true
        condition.unlock()
        condition.signal()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job() }
        }
    }
}

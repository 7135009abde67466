#if canImport(Glibc)
import Glibc
#endif

/// A pthread condition variable with its own mutex, in the shape of Foundation's `NSCondition`.
package final class PosixCondition: @unchecked Sendable {
    // Safe: both are only used through pthread calls.
    private let mutex = PosixLock()
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// A new condition.
    package init() {
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Takes the mutex.
    package func lock() { mutex.lock() }

    /// Releases the mutex.
    package func unlock() { mutex.unlock() }

    /// Runs `body` holding the mutex.
    package func withLock<T>(_ body: () throws -> T) rethrows -> T { try mutex.withLock(body) }

    /// Releases the mutex, waits for a signal, and takes the mutex again (call holding it).
    package func wait() { pthread_cond_wait(condition, mutex.raw) }

    /// Wakes one waiter.
    package func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter.
    package func broadcast() { pthread_cond_broadcast(condition) }
}

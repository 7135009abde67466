#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread mutex.
///
/// Used instead of Foundation's `NSLock` so that a pool child and the worker never
/// start CoreFoundation, which alone adds about 3 MB to each process.
package final class PosixLock: @unchecked Sendable {
    // Safe: the mutex is only used through pthread calls, which are thread-safe by design.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// A new, unlocked mutex.
    package init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Takes the lock, waiting for it.
    package func lock() { pthread_mutex_lock(mutex) }

    /// Releases the lock.
    package func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// The mutex, for a condition variable that waits on it.
    var raw: UnsafeMutablePointer<pthread_mutex_t> { mutex }
}

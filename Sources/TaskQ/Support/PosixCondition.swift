#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex, with a condition variable for waiting until it changes.
///
/// `Mutex` covers state that is only read and written; a thread that sleeps until another
/// thread changes the state needs a condition variable, and that waits on a pthread mutex,
/// which `Mutex` does not expose.
// Safe: `state` is only touched holding `mutex`; the pthread objects are only used through pthread calls.
package final class PosixCondition<State: Sendable>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var state: State

    /// A condition guarding `state`.
    package init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the state, holding the mutex.
    package func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Waits until `isReady` accepts the state (released while waiting), then runs `body`
    /// with it, holding the mutex from the check that succeeded until `body` returns.
    package func withLock<T>(waitingUntil isReady: (State) -> Bool, _ body: (inout State) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !isReady(state) { pthread_cond_wait(condition, mutex) }
        return try body(&state)
    }

    /// Wakes one waiter.
    package func signal() { pthread_cond_signal(condition) }
}

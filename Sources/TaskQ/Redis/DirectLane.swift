import Dispatch
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking Redis connection that the calling task drives itself.
///
/// A `RedisClient` hands each call to its own thread and resumes the caller by
/// a continuation: two thread wake-ups, which on loopback cost more than the
/// Redis round trip. For a caller that sends one command after another
/// (`delay()` in a loop, `result.get()`) the lane does the work in the calling
/// task instead: it writes the command on a non-blocking socket and polls for
/// the reply, sleeping in `select` for at most `pollBudget` (300 µs) in all. Nothing
/// else here blocks the cooperative pool: connecting, and waiting for a reply that
/// takes longer than that, go to the client's thread as before.
///
/// One caller holds the lane at a time; a call that finds it taken returns nil
/// and goes the thread's way.
// Safe: `connection` is only touched by the caller holding `taken` (a try-lock held across awaits, which `Mutex` cannot be).
package final class DirectLane: @unchecked Sendable {
    private let taken = Atomic<Bool>(false)
    private var connection: RedisConnection?
    private let url: RedisURL
    private let connectTimeout: Double
    private let thread: RedisThread

    /// How long a caller polls for its reply before it waits on the thread instead.
    package static let pollBudget: UInt64 = 300_000

    /// How long a sending caller polls without sleeping first (nanoseconds): about one loopback round trip.
    package static let spinBudget: UInt64 = 60_000

    /// Whether this lane polls without sleeping for `spinBudget` first.
    private let spins: Bool

    /// A lane to `url` that connects, and waits past the poll budget, on `thread`.
    ///
    /// With `spins`, a caller first polls without sleeping for `spinBudget`: right for
    /// sends, which find the worker idle or busy elsewhere, not for a `get()` whose reply
    /// the worker is still computing on the same cores.
    package init(url: RedisURL, connectTimeout: Double, thread: RedisThread, spins: Bool) {
        self.spins = spins
        self.url = url
        self.connectTimeout = connectTimeout
        self.thread = thread
    }

    /// Runs one command through the lane and returns its reply (error replies
    /// included), or nil if another call holds the lane right now.
    package func roundTrip(_ command: RedisCommand) async throws -> RedisReply? {
        guard taken.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return nil }
        defer { taken.store(false, ordering: .releasing) }
        let live = try await liveConnection()
        do {
            try live.append(command)
            while try !live.writeAvailable() { await Task.yield() }
            let start = DispatchTime.now().uptimeNanoseconds
            while true {
                try live.readAvailable()
                if let reply = try live.bufferedReply() { return reply }
                let waited = DispatchTime.now().uptimeNanoseconds - start
                if waited > Self.pollBudget {
                    return try await thread.run { try Self.waitForReply(on: live) }
                }
                // For about one loopback round trip a sending lane polls without sleeping. Past
                // that (or from the start, for a lane whose reply the worker computes on the same
                // cores) it sleeps in `select` for the rest of the budget: the socket wakes this
                // thread directly, where a yield would hand the task to another pool thread,
                // a wake-up per poll. The budget bounds how long a pool thread is held.
                if !spins || waited > Self.spinBudget {
                    Self.sleepUntilReadable(live.fileDescriptor, nanoseconds: Self.pollBudget - waited)
                }
            }
        } catch let error as RedisError where error.breaksConnection {
            live.close()
            connection = nil
            throw error
        }
    }

    /// Closes the lane's connection; call only when no call can be running.
    package func close() {
        connection?.close()
        connection = nil
    }

    private func liveConnection() async throws -> RedisConnection {
        if let connection { return connection }
        let (url, connectTimeout) = (url, connectTimeout)
        let made = try await thread.run {
            let made = try RedisConnection(url: url, connectTimeout: connectTimeout)
            try made.makeNonBlocking()
            return made
        }
        connection = made
        return made
    }

    /// Sleeps until `descriptor` is readable or `nanoseconds` have passed.
    /// `select`, because its timeout has microseconds where `poll`'s has milliseconds.
    private static func sleepUntilReadable(_ descriptor: Int32, nanoseconds: UInt64) {
        guard descriptor >= 0 else { return }
        guard descriptor < 1024 else {   // beyond FD_SETSIZE: poll's coarser timeout
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, 1)
            return
        }
        var readable = fd_set()   // bit `fd % 8` of byte `fd / 8` on the little-endian machines Swift runs on
        withUnsafeMutableBytes(of: &readable) { bits in
            bits[Int(descriptor) / 8] |= UInt8(1 << (Int(descriptor) % 8))
        }
        var timeout = timeval(tv_sec: 0, tv_usec: Int(max(1, nanoseconds / 1000)))
        _ = select(descriptor + 1, &readable, nil, nil, &timeout)
    }

    /// Blocks on the socket until the reply is in: run only on the client's thread.
    private static func waitForReply(on live: RedisConnection) throws -> RedisReply {
        while true {
            var descriptor = pollfd(fd: live.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 60_000)
            if ready == 0 {
                throw RedisError(.connection, "no reply from Redis at \(live.url) within 60 s; is redis-server running?")
            }
            if ready > 0 { try live.readAvailable() }
            if let reply = try live.bufferedReply() { return reply }
        }
    }
}

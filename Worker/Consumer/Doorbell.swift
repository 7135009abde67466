import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// One connection blocked in `BLMOVE list list RIGHT RIGHT 0` on a queue list, optionally
/// with a claim script queued behind it.
final class Doorbell {
    let list: String
    private var connection: RedisConnection?
    private var clientID = 0
    /// Replies still to come: the BLMOVE's, then the claim's.
    private var awaitingRing = false
    /// Whether a claim is queued behind the BLMOVE (until its reply is read).
    private(set) var carriesClaim = false
    /// The stamp of the claim queued behind the BLMOVE, until its reply is read.
    private var claimStamp: String?

    /// The stamp of a claim that was sent and whose reply has not been read.
    var unsettledClaim: String? { carriesClaim ? claimStamp : nil }

    init(list: String) { self.list = list }

    var fileDescriptor: Int32 { connection?.fileDescriptor ?? -1 }

    private var armed: Bool { awaitingRing || carriesClaim }

    /// Sends the blocking BLMOVE (and `claim` behind it) unless the bell is still armed.
    func arm(url: RedisURL, claim: (command: RedisCommand, stamp: String)?) throws {
        if connection == nil {
            let made = try RedisConnection(url: url, socketTimeout: nil)
            clientID = try made.command(RedisCommand("CLIENT", "ID")).integer ?? 0
            connection = made
        }
        guard !armed else { return }
        try connection!.append(RedisCommand("BLMOVE", list, list, "RIGHT", "RIGHT", 0))
        if let claim { try connection!.append(claim.command) }
        // Counted as sent before the flush: a flush that fails half-way may have sent it.
        carriesClaim = claim != nil
        claimStamp = claim?.stamp
        try connection!.flush()
        awaitingRing = true
    }

    /// Reads the replies that arrived: whether the BLMOVE returned, and the claim's reply
    /// once it is in. The bell is disarmed when every reply it waited for is read.
    func collect() throws -> (rang: Bool, claimReply: RedisReply?) {
        guard let connection else { return (false, nil) }
        try connection.readAvailable()
        var rang = false
        var claimReply: RedisReply?
        while let reply = try connection.bufferedReply() {
            if awaitingRing {
                awaitingRing = false
                rang = true
            } else if carriesClaim {
                carriesClaim = false
                claimReply = reply
            }
        }
        return (rang, claimReply)
    }

    /// Makes a blocked BLMOVE return at once (from another connection), so a queued claim runs.
    func unblock(using other: RedisConnection) throws {
        guard awaitingRing, clientID != 0 else { return }
        try other.command(RedisCommand("CLIENT", "UNBLOCK", clientID))
    }

    /// Waits up to `timeout` seconds for the queued claim's reply.
    func awaitClaimReply(timeout: Double) throws -> RedisReply? {
        let deadline = Date().addingTimeInterval(timeout)
        while carriesClaim, let connection {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var entry = pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, Int32(left * 1000) + 1) > 0, let reply = try collect().claimReply { return reply }
        }
        return nil
    }

    func close() {
        connection?.close()
        connection = nil
        awaitingRing = false
        carriesClaim = false
    }
}

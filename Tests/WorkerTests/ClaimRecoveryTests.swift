import Foundation
import Testing
@testable import TaskQ
@testable import TaskQWorker
import TaskQTestSupport

/// A claim whose reply is lost with the connection must not strand what it took.
@Suite("Claims whose reply was lost (needs Redis)", .serialized)
struct ClaimRecoveryTests {
    @Test("what a claim took is found again by its stamp and holder, and only that")
    func reclaimByStamp() throws {
        let url = try TestRedis.freshDatabase()
        let connection = try RedisConnection(url: url)
        defer { connection.close() }
        for index in 0..<3 {
            try connection.command(RedisCommand("LPUSH", "celery", HostileMessageTests.envelope("tasks.add", [.int(index), 1])))
        }
        let keys = (BrokerScripts.bookkeeping + [CeleryKeys.deadLetters, "celery"]).map { $0 as any RedisArgument }
        // The claim runs; its reply is thrown away, as when the connection drops before it arrives.
        _ = try BrokerScripts.claim.evaluate(on: connection, keys: keys, arguments: [2, "1000.000001", "me 1", "celery"])
        _ = try BrokerScripts.claim.evaluate(on: connection, keys: keys, arguments: [1, "1000.000002", "someone 9", "celery"])
        #expect(try connection.command(RedisCommand("HLEN", CeleryKeys.unacked)).integer == 3)
        let reply = try BrokerScripts.reclaim.evaluate(on: connection, keys: BrokerScripts.bookkeeping.map { $0 as any RedisArgument },
                                                       arguments: ["me 1", "1000.000001", "1000.000005"])
        let items = reply.array ?? []
        #expect(items.count == 8, "two deliveries of four fields each")
        let tags = stride(from: 1, to: items.count, by: 4).compactMap { items[$0].string }
        for (offset, tag) in tags.enumerated() {
            #expect(items[offset * 4].string == "celery")
            #expect(try connection.command(RedisCommand("HGET", CeleryKeys.claims, tag)).string == "me 1")
            let envelope = try TaskMessage(envelope: items[offset * 4 + 2].bytes ?? [])
            #expect(envelope.deliveryTag == tag)
            #expect(items[offset * 4 + 3].string == "1", "the delivery count comes along")
        }
        let other = try BrokerScripts.reclaim.evaluate(on: connection, keys: BrokerScripts.bookkeeping.map { $0 as any RedisArgument },
                                                       arguments: ["me 1", "1000.000002"])
        #expect(other.array?.isEmpty == true, "another holder's claim with that stamp is not ours")
    }
}

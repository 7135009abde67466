import Testing
@testable import TaskQWorker

@Suite("Revoked ids kept like Celery's LimitedSet")
struct RevokedSetTests {
    @Test("an id is revoked until its revocation expires")
    func expiry() {
        var set = RevokedSet()
        set.insert(["a"], now: 1000)
        #expect(set.contains("a", now: 1000 + RevokedSet.lifetime - 1))
        #expect(!set.contains("a", now: 1000 + RevokedSet.lifetime + 1))
        #expect(!set.contains("b", now: 1000))
    }

    @Test("entries read from Redis keep their expiry; the later of two expiries wins")
    func merge() {
        var set = RevokedSet()
        set.merge([("a", 2000), ("b", 500)], now: 1000)
        #expect(set.contains("a", now: 1500))
        #expect(!set.contains("b", now: 400), "expired entries are dropped when merged")
        set.merge([("a", 1800)], now: 1000)
        #expect(set.contains("a", now: 1900))
    }

    @Test("past the capacity the ids expiring first are dropped")
    func capacity() {
        var set = RevokedSet()
        set.merge((0..<(RevokedSet.capacity + 10)).map { ("id\($0)", 10_000 + Double($0)) }, now: 0)
        #expect(!set.contains("id0", now: 0))
        #expect(!set.contains("id9", now: 0))
        #expect(set.contains("id10", now: 0))
        #expect(set.contains("id\(RevokedSet.capacity + 9)", now: 0))
    }
}

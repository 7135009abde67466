import Testing
@testable import TaskQWorker

@Suite("Prefetch credits (no Redis)")
struct PrefetchCreditsTests {
    @Test("the limit is children × multiplier, at least 1; multiplier 0 means 5,000 held in all")
    func limits() {
        #expect(PrefetchCredits.limit(children: 2, multiplier: 4) == 8)
        #expect(PrefetchCredits.limit(children: 0, multiplier: 4) == 1)
        #expect(PrefetchCredits.limit(children: 3, multiplier: 0) == PrefetchCredits.maximumHeld)
    }

    @Test("a grant fills up to the limit and counts what is outstanding; spent credits make room again")
    func grantsAndSpends() {
        var credits = PrefetchCredits()
        #expect(credits.grant(children: 2, multiplier: 4, held: 0, throttled: 0) == 8)
        #expect(credits.outstanding == 8)
        #expect(credits.grant(children: 2, multiplier: 4, held: 0, throttled: 0) == 0, "nothing more while 8 are on their way")
        credits.spent(8)
        #expect(credits.grant(children: 2, multiplier: 4, held: 8, throttled: 0) == 0, "8 held: full")
        #expect(credits.grant(children: 2, multiplier: 4, held: 5, throttled: 0) == 3)
    }

    @Test("rate-limited messages do not count against prefetch, but all held stay under 5,000")
    func throttledAndCap() {
        var credits = PrefetchCredits()
        #expect(credits.grant(children: 1, multiplier: 4, held: 10, throttled: 10) == 4)
        var capped = PrefetchCredits()
        #expect(capped.grant(children: 1, multiplier: 4, held: 4_998, throttled: 4_998) == 2)
        var unlimited = PrefetchCredits()
        #expect(unlimited.grant(children: 2, multiplier: 0, held: 100, throttled: 0) == 4_900)
    }

    @Test("a new claimer starts with no credits outstanding")
    func reset() {
        var credits = PrefetchCredits()
        _ = credits.grant(children: 1, multiplier: 4, held: 0, throttled: 0)
        credits.reset()
        #expect(credits.outstanding == 0)
        #expect(credits.grant(children: 1, multiplier: 4, held: 0, throttled: 0) == 4)
    }
}

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
        #expect(credits.grant(limit: PrefetchCredits.limit(children: 2, multiplier: 4), held: 0, throttled: 0) == 8)
        #expect(credits.outstanding == 8)
        #expect(credits.grant(limit: PrefetchCredits.limit(children: 2, multiplier: 4), held: 0, throttled: 0) == 0, "nothing more while 8 are on their way")
        credits.spent(8)
        #expect(credits.grant(limit: PrefetchCredits.limit(children: 2, multiplier: 4), held: 8, throttled: 0) == 0, "8 held: full")
        #expect(credits.grant(limit: PrefetchCredits.limit(children: 2, multiplier: 4), held: 5, throttled: 0) == 3)
    }

    @Test("rate-limited messages do not count against prefetch, but all held stay under 5,000")
    func throttledAndCap() {
        var credits = PrefetchCredits()
        #expect(credits.grant(limit: PrefetchCredits.limit(children: 1, multiplier: 4), held: 10, throttled: 10) == 4)
        var capped = PrefetchCredits()
        #expect(capped.grant(limit: PrefetchCredits.limit(children: 1, multiplier: 4), held: 4_998, throttled: 4_998) == 2)
        var unlimited = PrefetchCredits()
        #expect(unlimited.grant(limit: PrefetchCredits.limit(children: 2, multiplier: 0), held: 100, throttled: 0) == 4_900)
    }

    @Test("a new claimer starts with no credits outstanding")
    func reset() {
        var credits = PrefetchCredits()
        _ = credits.grant(limit: PrefetchCredits.limit(children: 1, multiplier: 4), held: 0, throttled: 0)
        credits.reset()
        #expect(credits.outstanding == 0)
        #expect(credits.grant(limit: PrefetchCredits.limit(children: 1, multiplier: 4), held: 0, throttled: 0) == 4)
    }
}

@Suite("Prefetch rule: the flag obeyed, the default sized by run time (no Redis)")
struct PrefetchRuleTests {
    @Test("an explicit multiplier is obeyed whatever the run times")
    func fixed() {
        let rule = PrefetchRule(multiplier: 4)
        #expect(rule.limit(slots: 2, averageRuntime: nil) == 8)
        #expect(rule.limit(slots: 2, averageRuntime: 0.000_05) == 8)
        #expect(rule.limit(slots: 2, averageRuntime: 30) == 8)
        #expect(PrefetchRule(multiplier: 0).limit(slots: 2, averageRuntime: 0.001) == PrefetchCredits.maximumHeld)
        #expect(PrefetchRule(multiplier: 512).limit(slots: 2, averageRuntime: 0.001) == 1_024)
    }

    @Test("the default holds about 0.1 s of work per slot: 128 for short tasks, 1 for long ones, 4 before any ran")
    func adaptive() {
        let rule = PrefetchRule(multiplier: nil)
        #expect(rule == .adaptive)
        #expect(rule.limit(slots: 2, averageRuntime: nil) == 8)
        #expect(rule.limit(slots: 2, averageRuntime: 0.000_05) == 256)
        #expect(rule.limit(slots: 2, averageRuntime: 0.01) == 20)
        #expect(rule.limit(slots: 2, averageRuntime: 1) == 2)
        #expect(rule.multiplier(averageRuntime: 60) == 1)
    }

    @Test("the default holds at most 1,024 in all, unless the slots alone are more")
    func adaptiveCap() {
        let rule = PrefetchRule.adaptive
        #expect(rule.limit(slots: 16, averageRuntime: 0.000_01) == 1_024)
        #expect(rule.limit(slots: 1_000, averageRuntime: 0.1) == 1_000)
        #expect(rule.limit(slots: 1_000, averageRuntime: nil) == 1_024)
        #expect(rule.limit(slots: 2_000, averageRuntime: 0.001) == 2_000)
    }
}

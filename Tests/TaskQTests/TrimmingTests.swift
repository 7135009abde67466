import Testing
@testable import TaskQ

@Suite("Trimming text")
struct TrimmingTests {
    @Test("drops leading and trailing padding only")
    func trims() {
        #expect("  a b\t".trimmed() == "a b")
        #expect(" \t ".trimmed() == "")
        #expect("".trimmed() == "")
        #expect("//0/".trimmed { $0 == "/" } == "0")
        #expect("x".trimmed() == "x")
    }

    @Test("rate limits, queue names and URL paths read through it")
    func usedWhereTextIsParsed() throws {
        #expect(try RateLimit(" 10/s ").interval == 0.1)
        #expect(try RedisURL("redis://127.0.0.1:6379//5/").database == 5)
    }
}

import Testing
@testable import TaskQ

@Suite("Percent-encoding of URL parts")
struct PercentEncodingTests {
    @Test("decodes %XX sequences, UTF-8 included, and refuses malformed ones")
    func decodes() {
        #expect(PercentEncoding.decode("p%40ss%3Aw%2Fd") == "p@ss:w/d")
        #expect(PercentEncoding.decode("caf%C3%A9") == "café")
        #expect(PercentEncoding.decode("plain") == "plain")
        #expect(PercentEncoding.decode("bad%2") == nil)
        #expect(PercentEncoding.decode("bad%zz") == nil)
        #expect(PercentEncoding.decode("%FF") == nil)
    }

    @Test("encodes everything but ASCII letters and digits, and reads back the same")
    func encodes() {
        #expect(PercentEncoding.encodeAllButAlphanumerics("a b@c") == "a%20b%40c")
        for text in ["p@ss:w/d?#%", "café", "", "Zz09"] {
            #expect(PercentEncoding.decode(PercentEncoding.encodeAllButAlphanumerics(text)) == text)
        }
    }

    @Test("a Redis URL keeps a password with reserved characters through a round trip")
    func redisURLPassword() throws {
        let url = try RedisURL("redis://:p%40ss%3Aw%2Fd@127.0.0.1:6380/3")
        #expect(url.password == "p@ss:w/d")
        #expect(url.database == 3)
        #expect(try RedisURL(url.unmasked).password == "p@ss:w/d")
    }
}

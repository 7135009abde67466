import Foundation
import Testing
@testable import TaskQ

@Suite("URLs and policies")
struct ConfigurationTests {
    @Test("parses Redis URLs and masks passwords")
    func urls() throws {
        let plain = try RedisURL("redis://localhost:6380/2")
        #expect(plain.endpoint == .tcp(host: "localhost", port: 6380))
        #expect(plain.database == 2)
        let secret = try RedisURL("redis://:s3cret@10.0.0.1/0")
        #expect(secret.password == "s3cret")
        #expect(secret.description == "redis://:***@10.0.0.1:6379/0")
        let socket = try RedisURL("unix:///tmp/redis.sock?db=3")
        #expect(socket.endpoint == .unix(path: "/tmp/redis.sock"))
        #expect(socket.database == 3)
        #expect(throws: RedisError.self) { try RedisURL("http://x") }
        #expect(throws: RedisError.self) { try RedisURL("redis://host/notanumber") }
    }

    @Test("retry delays follow Celery's backoff rules")
    func retryPolicy() {
        let fixed = RetryPolicy(maxRetries: 3, defaultDelay: 180, backoff: false, backoffBase: 1, backoffMax: 600, jitter: true)
        #expect(fixed.delay(afterRetries: 2) == 180)
        #expect(fixed.allowsRetry(after: 2))
        #expect(!fixed.allowsRetry(after: 3))
        let backoff = RetryPolicy(maxRetries: nil, defaultDelay: 180, backoff: true, backoffBase: 2, backoffMax: 10, jitter: false)
        #expect([0, 1, 2, 3, 10].map { backoff.delay(afterRetries: $0) } == [2, 4, 8, 10, 10])
        #expect(backoff.allowsRetry(after: 1000))
        let jittered = RetryPolicy(maxRetries: 5, defaultDelay: 1, backoff: true, backoffBase: 1, backoffMax: 600, jitter: true)
        #expect(jittered.delay(afterRetries: 3) { 0.5 } == 4)
    }

    @Test("a Redis that is not there gives a typed error that says what to do")
    func unreachable() {
        do {
            _ = try RedisConnection(url: RedisURL("redis://127.0.0.1:1/0"), connectTimeout: 1)
            Issue.record("connected to port 1")
        } catch let error as RedisError {
            #expect(error.kind == .connection)
            #expect(error.message.contains("cannot reach Redis at redis://127.0.0.1:1/0"))
            #expect(error.message.contains("is redis-server running?"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

import Foundation
import Logging
import Synchronization
import TaskQ
import TaskQTestSupport
import Testing

@Suite("Result subscriptions against a real Redis")
struct RedisSubscriberTests {
    /// Collects what a handler hears.
    final class Heard: Sendable {
        private let events = Mutex<[RedisSubscriber.Event]>([])
        func add(_ event: RedisSubscriber.Event) { events.withLock { $0.append(event) } }
        var all: [RedisSubscriber.Event] { events.withLock { $0 } }
        var current: [UInt8]?? {
            for event in all { if case .current(let value) = event { return .some(value) } }
            return nil
        }
        var messages: [String] {
            all.compactMap { if case .message(_, let payload) = $0 { String(decoding: payload, as: UTF8.self) } else { nil } }
        }
        var expired: Bool { all.contains { if case .expired = $0 { true } else { false } } }
    }

    private func subscriberCount(_ url: RedisURL, _ channel: String) throws -> Int {
        try TestRedis.command(url, RedisCommand("PUBSUB", "NUMSUB", channel)).array?.last?.integer ?? -1
    }

    @Test("a subscription that names a key hears the key's value once confirmed, then the messages")
    func readsTheKeyOnConfirmation() async throws {
        let url = try TestRedis.freshDatabase()
        try TestRedis.command(url, RedisCommand("SET", "result-a", "stored"))
        let subscriber = RedisSubscriber(url: url, name: "test.subscriber", logger: Logger(label: "test"))
        defer { subscriber.stop() }
        let heard = Heard(), missing = Heard()
        _ = subscriber.subscribe("channel-a", readKey: "result-a") { heard.add($0) }
        _ = subscriber.subscribe("channel-b", readKey: "result-b") { missing.add($0) }
        #expect(try await TestRedis.waitUntil { heard.current != nil && missing.current != nil })
        #expect(heard.current == .some(Array("stored".utf8)))
        #expect(missing.current == .some(nil), "a missing key is heard as nil")
        #expect(!heard.all.contains { if case .subscribed = $0 { true } else { false } }, "no bare .subscribed when the key was read")
        try TestRedis.command(url, RedisCommand("PUBLISH", "channel-a", "published"))
        #expect(try await TestRedis.waitUntil { heard.messages == ["published"] })
    }

    @Test("a time limit is kept by the subscriber's thread: .expired once it passes, not before")
    func timeLimit() async throws {
        let url = try TestRedis.freshDatabase()
        let subscriber = RedisSubscriber(url: url, name: "test.subscriber", logger: Logger(label: "test"))
        defer { subscriber.stop() }
        let short = Heard(), long = Heard()
        let started = Date()
        _ = subscriber.subscribe("limited-long", timeLimit: .seconds(30)) { long.add($0) }
        _ = subscriber.subscribe("limited-short", timeLimit: .milliseconds(300)) { short.add($0) }
        #expect(try await TestRedis.waitUntil(timeout: 10) { short.expired })
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(!long.expired)
    }

    @Test("an unsubscribed channel is dropped with the next subscription, and hears nothing meanwhile")
    func lazyUnsubscribe() async throws {
        let url = try TestRedis.freshDatabase()
        let subscriber = RedisSubscriber(url: url, name: "test.subscriber", logger: Logger(label: "test"))
        defer { subscriber.stop() }
        let first = Heard()
        let token = subscriber.subscribe("lazy-first", readKey: "none") { first.add($0) }
        #expect(try await TestRedis.waitUntil { first.current != nil })
        #expect(try subscriberCount(url, "lazy-first") == 1)
        subscriber.unsubscribe(token)
        try TestRedis.command(url, RedisCommand("PUBLISH", "lazy-first", "late"))
        let second = Heard()
        _ = subscriber.subscribe("lazy-second", readKey: "none") { second.add($0) }
        #expect(try await TestRedis.waitUntil { second.current != nil })
        #expect(try await TestRedis.waitUntil { try subscriberCount(url, "lazy-first") == 0 })
        #expect(first.messages.isEmpty, "a handler hears nothing once unsubscribed")
    }
}

import Foundation
import Testing
@testable import TaskQ

/// Pure checks on values any sender can put in a message.
@Suite("Hostile input: time limits, calendar times, header types, UTF-8")
struct HostileInputTests {
    @Test("time limits: none for NaN, zero and below; a year at most; ordinary values as they are")
    func timeLimits() {
        #expect(TimeLimitRange.accepted(nil) == .init(seconds: nil, adjustment: nil))
        #expect(TimeLimitRange.accepted(30) == .init(seconds: 30, adjustment: nil))
        #expect(TimeLimitRange.accepted(TimeLimitRange.longest).seconds == TimeLimitRange.longest)
        for value in [Double.infinity, 1e20, 1e308, TimeLimitRange.longest + 1] {
            let decision = TimeLimitRange.accepted(value)
            #expect(decision.seconds == TimeLimitRange.longest)
            #expect(decision.adjustment?.contains("beyond the longest limit") == true)
        }
        for value in [Double.nan, 0, -1, -Double.infinity] {
            let decision = TimeLimitRange.accepted(value)
            #expect(decision.seconds == nil)
            #expect(decision.adjustment != nil)
        }
        // Every accepted limit can become a Duration without trapping.
        for value in [Double.infinity, 1e300, 0.001, 86_400] {
            if let seconds = TimeLimitRange.clamped(value) { #expect(Duration.seconds(seconds) > .zero) }
        }
    }

    @Test("calendar times out of range are no times", arguments: [
        "9999-99-99T99:99:99", "2024-13-45T25:61:61Z", "2025-02-29T00:00:00", "2024-04-31T10:00:00",
        "2024-01-01T24:00:00", "2024-01-01T10:60:00", "2024-01-01T10:00:00+25:00", "0000-01-01T00:00:00",
    ])
    func badTimes(text: String) {
        #expect(CeleryTime.parse(text) == nil)
    }

    @Test("calendar times in range parse, leap days and offsets included")
    func goodTimes() throws {
        let leap = try #require(CeleryTime.parse("2024-02-29T12:00:00+00:00"))
        #expect(CeleryTime.format(leap) == "2024-02-29T12:00:00.000000+00:00")
        let shifted = try #require(CeleryTime.parse("2026-12-02T10:30:00.5+02:00"))
        #expect(CeleryTime.format(shifted) == "2026-12-02T08:30:00.500000+00:00")
        #expect(CeleryTime.parse("2000-02-29") != nil)
        #expect(CeleryTime.parse("1900-02-29") == nil)
    }

    @Test("headers of the wrong type or range are refused, naming the header")
    func headerChecks() throws {
        let bad: [(String, JSONValue)] = [
            ("eta", "tomorrow"), ("eta", .int(5)), ("expires", .array([])), ("retries", .int(-1)),
            ("retries", .double(1.5)), ("retries", .string("3")), ("retries", .int(Int.max)),
            ("timelimit", .string("10")), ("timelimit", .array([.int(1)])), ("timelimit", .array(["a", .null])),
        ]
        for (name, value) in bad {
            #expect(throws: ProtocolError.self, "\(name) = \(value.jsonText)") {
                try TaskMessage.validate(headers: [name: value])
            }
            do {
                try TaskMessage.validate(headers: [name: value])
            } catch {
                #expect(String(describing: error).contains("header '\(name)'"))
            }
        }
        try TaskMessage.validate(headers: ["eta": .null, "expires": "2026-12-02T10:00:00+00:00", "retries": .int(3),
                                           "timelimit": .array([.null, .double(.infinity)])])
    }

    @Test("JSON strings that are not UTF-8 are refused, with or without escapes")
    func invalidUTF8() {
        let plain: [UInt8] = Array(#"{"id":""#.utf8) + [0xFF, 0x41] + Array(#""}"#.utf8)
        let escaped: [UInt8] = Array(#"{"id":"\n"#.utf8) + [0xC3] + Array(#""}"#.utf8)
        let overlong: [UInt8] = Array(#"[""#.utf8) + [0xC0, 0xAF] + Array(#""]"#.utf8)
        for bytes in [plain, escaped, overlong] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
        }
        #expect((try? JSONValue.parse(Array(#"["caf\#u{E9}"]"#.utf8))) == .array(["caf\u{E9}"]))
    }

    @Test("priorities out of 0...9 are held to that range")
    func priorities() {
        let high = TaskMessage(headers: [:], properties: ["priority": .int(1_000_000)], args: [], kwargs: [:], embed: [:])
        let low = TaskMessage(headers: [:], properties: ["priority": .int(-7)], args: [], kwargs: [:], embed: [:])
        #expect(high.priority == 9)
        #expect(low.priority == 0)
    }
}

/// The expanded values of one crontab field (a set of small integers 0…63),
/// stored as a bit mask.
struct CrontabValueSet: Sendable, Hashable {
    private(set) var bits: UInt64 = 0

    init() {}

    init<S: Sequence>(_ values: S) where S.Element == Int {
        for value in values { insert(value) }
    }

    /// Every value from `lowest` through `highest`.
    static func all(from lowest: Int, through highest: Int) -> Self {
        Self(lowest...highest)
    }

    mutating func insert(_ value: Int) {
        precondition((0..<64).contains(value), "crontab values are 0…63")
        bits |= 1 << UInt64(value)
    }

    func contains(_ value: Int) -> Bool {
        guard (0..<64).contains(value) else { return false }
        return bits & (1 << UInt64(value)) != 0
    }

    /// The smallest value that is at least `value`, or nil.
    func first(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let masked = value <= 0 ? bits : bits & (UInt64.max << UInt64(value))
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }

    var isEmpty: Bool { bits == 0 }

    var count: Int { bits.nonzeroBitCount }

    /// The values in ascending order.
    var sortedValues: [Int] {
        (0..<64).filter { contains($0) }
    }

    var lowestValue: Int? { first(atOrAfter: 0) }

    var highestValue: Int? { bits == 0 ? nil : 63 - bits.leadingZeroBitCount }
}

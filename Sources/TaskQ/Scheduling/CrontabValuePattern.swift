/// The shape of one field's values, for describing them in words.
enum CrontabValuePattern: Sendable, Equatable {
    /// Every value of the field.
    case every
    /// Exactly one value.
    case single(Int)
    /// Every n-th value from the field's lowest, evenly all the way round
    /// (`*/15` on minutes, `*/6` on hours).
    case everyStep(Int)
    /// Three or more values evenly spaced by more than one (`9-17/2`).
    case progression(start: Int, step: Int, end: Int)
    /// Anything else, as runs of consecutive values in ascending order.
    case list([ClosedRange<Int>])

    init(_ values: CrontabValueSet, field: CrontabField) {
        let span = field.highest - field.lowest + 1
        let sorted = values.sortedValues
        if sorted.count >= span {
            self = .every
            return
        }
        if sorted.count == 1, let only = sorted.first {
            self = .single(only)
            return
        }
        if sorted.count >= 3 {
            let step = sorted[1] - sorted[0]
            let evenlySpaced = zip(sorted, sorted.dropFirst()).allSatisfy { $1 - $0 == step }
            if evenlySpaced, step > 1 {
                if sorted[0] == field.lowest, span % step == 0, sorted.count == span / step {
                    self = .everyStep(step)
                } else {
                    self = .progression(start: sorted[0], step: step, end: sorted[sorted.count - 1])
                }
                return
            }
        }
        var runs: [ClosedRange<Int>] = []
        for value in sorted {
            if let last = runs.last, last.upperBound + 1 == value {
                runs[runs.count - 1] = last.lowerBound...value
            } else {
                runs.append(value...value)
            }
        }
        self = .list(runs)
    }
}

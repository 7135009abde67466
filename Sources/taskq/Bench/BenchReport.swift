import Foundation

/// One benchmark's figures, as a JSON line for scripts and a sentence for people.
struct BenchReport {
    let mode: BenchMode
    let count: Int
    let elapsed: Duration
    var latenciesMilliseconds: [Double] = []

    var seconds: Double { elapsed.seconds }
    var perSecond: Double { seconds > 0 ? Double(count) / seconds : 0 }

    /// The value at fraction `q` (0...1) of the sorted latencies, nearest rank.
    func percentile(_ q: Double) -> Double? {
        guard !latenciesMilliseconds.isEmpty else { return nil }
        let sorted = latenciesMilliseconds.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    var json: String {
        var fields = ["\"mode\": \"\(mode.rawValue)\"", "\"count\": \(count)",
                      "\"seconds\": \(format(seconds, 6))", "\"per_second\": \(format(perSecond, 1))"]
        if let p50 = percentile(0.50), let p90 = percentile(0.90), let p99 = percentile(0.99), let p100 = percentile(1) {
            let mean = latenciesMilliseconds.reduce(0, +) / Double(latenciesMilliseconds.count)
            fields += ["\"p50_ms\": \(format(p50, 4))", "\"p90_ms\": \(format(p90, 4))",
                       "\"p99_ms\": \(format(p99, 4))", "\"max_ms\": \(format(p100, 4))", "\"mean_ms\": \(format(mean, 4))"]
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    var summary: String {
        var text = "\(mode.rawValue): \(count) in \(format(seconds, 3)) s = \(format(perSecond, 0))/s"
        if let p50 = percentile(0.50), let p90 = percentile(0.90), let p99 = percentile(0.99) {
            text += ", p50 \(format(p50, 3)) ms, p90 \(format(p90, 3)) ms, p99 \(format(p99, 3)) ms"
        }
        return text
    }

    private func format(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}

/// Decimal text for numbers, without Foundation's `String(format:)` (which starts CoreFoundation).
package enum FixedPoint {
    /// `value` rounded to `places` decimals, as `%.<places>f` would print it: `1795580790.776784`.
    package static func text(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = (scaled / scale).rounded(.down)
        let fraction = Int(scaled - whole * scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard places > 0 else { return sign + String(Int(whole)) }
        return sign + String(Int(whole)) + "." + padded(fraction, width: places)
    }

    /// `value` with leading zeros up to `width` digits: `padded(7, width: 3)` is `"007"`.
    package static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension StringProtocol {
    /// The text without the leading and trailing characters `isPadding` accepts
    /// (Foundation's `trimmingCharacters(in:)` without Foundation).
    package func trimmed(_ isPadding: (Character) -> Bool = { $0 == " " || $0 == "\t" }) -> String {
        guard let first = firstIndex(where: { !isPadding($0) }), let last = lastIndex(where: { !isPadding($0) }) else { return "" }
        return String(self[first...last])
    }
}

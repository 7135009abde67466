/// Renders JSON values the way Python's `repr` would, for `argsrepr`, `kwargsrepr` and event fields.
package enum PythonRepr {
    /// `repr` of one value.
    package static func of(_ value: JSONValue) -> String {
        switch value {
        case .null: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .double(let number):
            if number.isNaN { return "nan" }
            if number.isInfinite { return number < 0 ? "-inf" : "inf" }
            if number.rounded() == number && abs(number) < 1e16 { return "\(Int(number)).0" }
            return "\(number)"
        case .string(let text): return quoted(text)
        case .array(let items): return "[" + items.map(of).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { "\(quoted($0)): \(of(members[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    /// `repr` of a positional argument tuple: `(2, 3)`, `(1,)`, `()`.
    package static func tuple(_ items: [JSONValue]) -> String {
        if items.count == 1 { return "(\(of(items[0])),)" }
        return "(" + items.map(of).joined(separator: ", ") + ")"
    }

    /// `repr` of a keyword argument dict.
    package static func dict(_ members: [String: JSONValue]) -> String { of(.object(members)) }

    /// Truncates to Celery's 1024-character limit for reprs.
    package static func truncated(_ text: String, limit: Int = 1024) -> String {
        // UTF-8 length bounds the character count from above: most reprs are decided without counting characters.
        text.utf8.count <= limit || text.count <= limit ? text : String(text.prefix(limit - 3)) + "..."
    }

    private static func quoted(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\\(quote)"
            default: out.append(character)
            }
        }
        out.append(quote)
        return out
    }
}

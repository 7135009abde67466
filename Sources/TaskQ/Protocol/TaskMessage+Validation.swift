/// The header checks a received message passes before the worker acts on it.
///
/// Any sender can write any JSON into a queue. The headers the worker computes with must
/// have the type and range Celery gives them, or the message goes to the dead-letter
/// list with the reason (instead of running at a time nobody meant, or trapping on an
/// overflow later).
extension TaskMessage {
    /// The most retries a message may say it has had (Celery's counter is a small integer).
    package static let maximumRetries = 1_000_000

    /// Throws `ProtocolError.malformed` naming the first header that is out of type or range.
    package static func validate(headers: [String: JSONValue]) throws {
        for name in ["eta", "expires"] {
            switch headers[name] {
            case nil, .null?:
                continue
            case .string(let text)?:
                guard CeleryTime.parse(text) != nil else {
                    throw ProtocolError.malformed("header '\(name)' is \(JSONValue.string(text).jsonText), not an ISO-8601 time such as 2026-12-02T09:30:00+00:00")
                }
            case let other?:
                throw ProtocolError.malformed("header '\(name)' is \(other.jsonText.prefix(80)), not an ISO-8601 time string or null")
            }
        }
        switch headers["retries"] {
        case nil, .null?:
            break
        case let value?:
            guard let retries = value.intValue, (0...maximumRetries).contains(retries) else {
                throw ProtocolError.malformed("header 'retries' is \(value.jsonText.prefix(80)), not a whole number from 0 to \(maximumRetries)")
            }
        }
        if let limits = headers["timelimit"], limits != .null {
            guard let pair = limits.arrayValue, pair.count == 2, pair.allSatisfy({ $0 == .null || $0.doubleValue != nil }) else {
                throw ProtocolError.malformed("header 'timelimit' is \(limits.jsonText.prefix(80)), not [hard, soft] (numbers of seconds or null)")
            }
        }
    }
}

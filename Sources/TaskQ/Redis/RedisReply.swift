/// One reply from Redis, copied out of hiredis memory so it can cross threads.
package enum RedisReply: Sendable, Equatable {
    /// A bulk string (binary safe).
    case bulk([UInt8])
    /// A status line such as `OK` or `QUEUED`.
    case status(String)
    /// An integer reply.
    case integer(Int)
    /// An array reply (MULTI/EXEC results, list pops, pub/sub messages).
    case array([RedisReply])
    /// A nil bulk or nil array.
    case null
    /// An error reply (`ERR ...`, `NOSCRIPT ...`, `WRONGTYPE ...`).
    case error(String)

    /// The reply as text when it is a bulk or status string.
    package var string: String? {
        switch self {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// The raw bytes of a bulk reply.
    package var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .status(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// The value of an integer reply (or a bulk holding digits).
    package var integer: Int? {
        switch self {
        case .integer(let value): return value
        case .bulk, .status: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    /// The elements of an array reply; `nil` for other kinds.
    package var array: [RedisReply]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Whether this is a nil reply.
    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// Length-prefixed JSON frames between the worker and its children: a 4-byte
/// big-endian length, then that many bytes of JSON.
package enum Frame {
    /// The largest frame either side accepts (64 MiB).
    package static let maximumLength = 64 << 20

    /// Encodes one frame.
    package static func encode(_ value: JSONValue) -> [UInt8] {
        encode { value.write(to: &$0) }
    }

    /// Encodes one frame whose JSON `writeJSON` appends to the buffer it is given.
    package static func encode(_ writeJSON: (inout [UInt8]) -> Void) -> [UInt8] {
        var payload: [UInt8] = [0, 0, 0, 0]
        payload.reserveCapacity(256)
        writeJSON(&payload)
        let length = UInt32(payload.count - 4)
        payload[0] = UInt8(length >> 24)
        payload[1] = UInt8((length >> 16) & 0xFF)
        payload[2] = UInt8((length >> 8) & 0xFF)
        payload[3] = UInt8(length & 0xFF)
        return payload
    }
}

/// Collects bytes from a pipe and cuts them into frames.
package struct FrameReader {
    private var buffer: [UInt8] = []
    private var start = 0

    package init() {}

    /// Adds bytes read from the pipe.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, if one has arrived.
    package mutating func next() throws -> JSONValue? {
        guard buffer.count - start >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length <= Frame.maximumLength else {
            throw ProtocolError.malformed("frame of \(length) bytes exceeds the \(Frame.maximumLength)-byte limit")
        }
        guard buffer.count - start - 4 >= length else { return nil }
        let body = buffer[(start + 4)..<(start + 4 + length)]
        start += 4 + length
        let value = try JSONValue.parse(body)
        if start > 1 << 16 {
            buffer.removeFirst(start)
            start = 0
        }
        return value
    }
}

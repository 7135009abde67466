import CCompression

/// kombu's message compression: the `compression` header names the scheme by
/// content type, and the body is the compressed serialized bytes.
public enum BodyCompression: String, Sendable, CaseIterable {
    /// zlib streams (`zlib.compress`), kombu's `gzip`/`zlib`; gzip-framed input is read too.
    case zlib
    /// bzip2 (`bz2.compress`), kombu's `bzip2`.
    case bzip2
    /// Zstandard frames, kombu's `zstd`.
    case zstd

    /// A decompressed body larger than this is refused: a small message must not become gigabytes.
    public static let maximumDecompressedSize = 64 << 20

    /// The value of the `compression` header for this scheme.
    public var headerValue: String {
        switch self {
        case .zlib: return "application/x-gzip"
        case .bzip2: return "application/x-bz2"
        case .zstd: return "application/zstd"
        }
    }

    /// The scheme a `compression` header names, or nil when TaskQ does not know it.
    public init?(headerValue: String) {
        guard let scheme = Self.allCases.first(where: { $0.headerValue == headerValue }) else { return nil }
        self = scheme
    }

    /// The scheme for a name as Celery's `task_compression` and `compression=` take it
    /// (`gzip`, `zlib`, `bzip2`, `bz2`, `zstd`), or nil.
    public init?(name: String) {
        switch name.lowercased() {
        case "gzip", "zlib", "application/x-gzip": self = .zlib
        case "bzip2", "bz2", "application/x-bz2": self = .bzip2
        case "zstd", "zstandard", "application/zstd": self = .zstd
        default: return nil
        }
    }

    /// `bytes` compressed at the level Python's module uses by default.
    public func compress(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .zlib: return Self.deflate(bytes)
        case .bzip2: return Self.bzip2Compress(bytes)
        case .zstd: return Self.zstdCompress(bytes)
        }
    }

    /// The original bytes, or an error naming what is wrong (corrupt, truncated, too large).
    public func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        switch self {
        case .zlib: return try Self.inflate(bytes)
        case .bzip2: return try Self.bzip2Decompress(bytes)
        case .zstd: return try Self.zstdDecompress(bytes)
        }
    }
}

/// Why a compressed body could not be read.
public struct DecompressionError: Error, CustomStringConvertible, Sendable {
    public let scheme: BodyCompression
    public let reason: String
    public var description: String { "\(scheme.rawValue) body: \(reason)" }
}

extension BodyCompression {
    private static let chunk = 64 << 10

    private static func deflate(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit_(&stream, 6, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
        var input = input
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return CCompression.deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "deflate into deflateBound bytes cannot fall short")
        output.removeLast(Int(stream.avail_out))
        return output
    }

    private static func inflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: a zlib or a gzip header, detected from the first bytes.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DecompressionError(scheme: .zlib, reason: "inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            while true {
                let status = buffer.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    return CCompression.inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: buffer[0 ..< chunk - Int(stream.avail_out)])
                try checkSize(output.count, .zlib)
                if status == Z_STREAM_END { break }
                guard status == Z_OK || status == Z_BUF_ERROR, stream.avail_in > 0 || stream.avail_out == 0 else {
                    let reason = status == Z_OK || status == Z_BUF_ERROR ? "truncated" : "corrupt (zlib status \(status))"
                    throw DecompressionError(scheme: .zlib, reason: reason)
                }
            }
        }
        guard stream.avail_in == 0 else { throw DecompressionError(scheme: .zlib, reason: "bytes after the stream") }
        return output
    }

    private static func bzip2Compress(_ input: [UInt8]) -> [UInt8] {
        // bzip2's documented bound: 1 % larger plus 600 bytes.
        var length = UInt32(input.count + input.count / 100 + 601)
        var output = [UInt8](repeating: 0, count: Int(length))
        var input = input
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                target.withMemoryRebound(to: CChar.self) { target in
                    source.withMemoryRebound(to: CChar.self) { source in
                        BZ2_bzBuffToBuffCompress(target.baseAddress, &length, source.baseAddress,
                                                 UInt32(source.count), 9, 0, 0)
                    }
                }
            }
        }
        precondition(status == BZ_OK, "bzip2 into its documented bound cannot fall short")
        output.removeLast(output.count - Int(length))
        return output
    }

    private static func bzip2Decompress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = bz_stream()
        guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else {
            throw DecompressionError(scheme: .bzip2, reason: "BZ2_bzDecompressInit failed")
        }
        defer { BZ2_bzDecompressEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        try input.withUnsafeMutableBufferPointer { source in
            try source.withMemoryRebound(to: CChar.self) { source in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                while true {
                    let status = buffer.withUnsafeMutableBufferPointer { target in
                        target.withMemoryRebound(to: CChar.self) { target in
                            stream.next_out = target.baseAddress
                            stream.avail_out = UInt32(target.count)
                            return BZ2_bzDecompress(&stream)
                        }
                    }
                    output.append(contentsOf: buffer[0 ..< chunk - Int(stream.avail_out)])
                    try checkSize(output.count, .bzip2)
                    if status == BZ_STREAM_END { break }
                    guard status == BZ_OK else {
                        throw DecompressionError(scheme: .bzip2, reason: "corrupt (bzip2 status \(status))")
                    }
                    guard stream.avail_in > 0 || stream.avail_out == 0 else {
                        throw DecompressionError(scheme: .bzip2, reason: "truncated")
                    }
                }
            }
        }
        guard stream.avail_in == 0 else { throw DecompressionError(scheme: .bzip2, reason: "bytes after the stream") }
        return output
    }

    private static func zstdCompress(_ input: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                ZSTD_compress(target.baseAddress, target.count, source.baseAddress, source.count, 3)
            }
        }
        precondition(ZSTD_isError(written) == 0, "zstd into ZSTD_compressBound bytes cannot fail")
        output.removeLast(output.count - written)
        return output
    }

    private static func zstdDecompress(_ input: [UInt8]) throws -> [UInt8] {
        guard let context = ZSTD_createDStream() else {
            throw DecompressionError(scheme: .zstd, reason: "ZSTD_createDStream failed")
        }
        defer { ZSTD_freeDStream(context) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        var finished = false
        try input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            while inBuffer.pos < inBuffer.size || !finished {
                let (remaining, produced) = buffer.withUnsafeMutableBytes { target in
                    var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let remaining = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    return (remaining, outBuffer.pos)
                }
                if ZSTD_isError(remaining) != 0 {
                    throw DecompressionError(scheme: .zstd, reason: "corrupt (\(String(cString: ZSTD_getErrorName(remaining))))")
                }
                output.append(contentsOf: buffer[0 ..< produced])
                try checkSize(output.count, .zstd)
                finished = remaining == 0
                if !finished && inBuffer.pos == inBuffer.size && produced < chunk {
                    throw DecompressionError(scheme: .zstd, reason: "truncated")
                }
            }
        }
        guard !input.isEmpty else { throw DecompressionError(scheme: .zstd, reason: "empty") }
        return output
    }

    private static func checkSize(_ size: Int, _ scheme: BodyCompression) throws {
        guard size <= maximumDecompressedSize else {
            throw DecompressionError(scheme: scheme, reason: "larger than \(maximumDecompressedSize >> 20) MiB once decompressed")
        }
    }
}

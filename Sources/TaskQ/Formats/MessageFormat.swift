import FoundationEssentials

/// How outgoing task messages are written: the body's serializer, its compression, and
/// signing. The default, plain JSON, is what Celery writes by default.
///
/// ```swift
/// let signer = try SigningIdentity(keyFile: "worker.key", certificateFile: "worker.pem")
/// let app = App("tasks", format: MessageFormat(signing: signer))          // task_serializer='auth'
/// try await add.applyAsync(2, 3, options: SendOptions(serializer: .msgpack, compression: .zlib))
/// ```
public struct MessageFormat: Sendable {
    /// The serializer of the body (inside the signature, when signing).
    public var serializer: Serializer
    /// kombu compression of the transported body, or none.
    public var compression: BodyCompression?
    /// Sign bodies as Celery's `auth` serializer does.
    public var signing: SigningIdentity?
    /// Also add TaskQ's header signature (``HeaderSignature``) when signing.
    public var signsHeaders: Bool

    /// A format; the defaults are Celery's: JSON, uncompressed, unsigned.
    public init(serializer: Serializer = .json, compression: BodyCompression? = nil,
                signing: SigningIdentity? = nil, signsHeaders: Bool = true) {
        self.serializer = serializer
        self.compression = compression
        self.signing = signing
        self.signsHeaders = signsHeaders
    }

    /// Plain JSON, the default.
    public static let json = MessageFormat()

    /// Whether this is plain JSON, which the send path writes without building values.
    var isPlainJSON: Bool { serializer.name == "json" && compression == nil && signing == nil }

    /// This format with a call's serializer and compression in place of its own.
    func overriding(serializer: Serializer?, compression: BodyCompression?) -> MessageFormat {
        var format = self
        if let serializer { format.serializer = serializer }
        if let compression { format.compression = compression }
        return format
    }

    /// The transported body (before the Redis transport's base64) with its content type and
    /// encoding, and the headers it adds (`compression`, the header signature).
    func encode(body: JSONValue, headers: [String: JSONValue]) throws -> EncodedBody {
        var bytes = try serializer.encode(body)
        var contentType = serializer.contentType
        var contentEncoding = serializer.contentEncoding
        if let signing {
            bytes = try CelerySignedBody(signing: bytes, serializer: serializer, identity: signing).packed()
            contentType = CelerySignedBody.contentType
            contentEncoding = "utf-8"
        }
        var added: [String: JSONValue] = [:]
        if let compression {
            bytes = compression.compress(bytes)
            added["compression"] = .string(compression.headerValue)
        }
        if let signing, signsHeaders {
            added[HeaderSignature.header] = try HeaderSignature.make(headers: headers, body: bytes, identity: signing)
        }
        return EncodedBody(bytes: bytes, contentType: contentType, contentEncoding: contentEncoding, addedHeaders: added)
    }
}

/// A body as it goes into the envelope.
struct EncodedBody {
    var bytes: [UInt8]
    var contentType: String
    var contentEncoding: String
    var addedHeaders: [String: JSONValue]
}

import FoundationEssentials

/// The body Celery's `auth` serializer writes (`celery.security.serialization`):
/// `base64(base64(signer) SEP base64(signature) SEP content_type SEP content_encoding SEP body)`
/// with SEP = `\x00\x01`, signed over the inner serialized body only. The envelope
/// says `content-type: application/data`, `content-encoding: utf-8`.
public struct CelerySignedBody: Sendable, Equatable {
    /// The envelope content type of a signed body.
    public static let contentType = "application/data"
    /// kombu's name for the serializer.
    public static let serializerName = "auth"
    private static let separator: [UInt8] = [0x00, 0x01]

    /// The signer id (`Certificate.get_id()`).
    public var signer: String
    /// The RSA-PSS signature over `body`.
    public var signature: [UInt8]
    /// The inner body's content type (`application/json`, ...).
    public var contentType: String
    /// The inner body's content encoding.
    public var contentEncoding: String
    /// The inner serialized body, the bytes that are signed.
    public var body: [UInt8]

    /// Signs `body`, serialized by `serializer`, with `identity`.
    public init(signing body: [UInt8], serializer: Serializer, identity: SigningIdentity) throws {
        self.signer = identity.signer
        self.signature = try identity.sign(body)
        self.contentType = serializer.contentType
        self.contentEncoding = serializer.contentEncoding
        self.body = body
    }

    /// Reads the packed form (the text Celery's `_pack` returns), checking only its shape.
    public init(packed: [UInt8]) throws {
        guard let fields = Data(base64Encoded: Data(packed)) else {
            throw SecurityError.badSignature("signed body is not base64")
        }
        let parts = Self.split(Array(fields), maxSplits: 4)
        guard parts.count == 5 else { throw SecurityError.badSignature("signed body has \(parts.count) of its 5 fields") }
        guard let signerBytes = Data(base64Encoded: Data(parts[0])), let signer = String(data: signerBytes, encoding: .utf8),
              let signature = Data(base64Encoded: Data(parts[1])),
              let contentType = String(validating: parts[2], as: UTF8.self),
              let contentEncoding = String(validating: parts[3], as: UTF8.self) else {
            throw SecurityError.badSignature("signed body's signer, signature or content type is unreadable")
        }
        self.signer = signer
        self.signature = Array(signature)
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.body = parts[4]
    }

    /// The packed form, the envelope body before the transport's own base64.
    public func packed() -> [UInt8] {
        var fields: [UInt8] = []
        fields.reserveCapacity(body.count + signature.count * 2 + 96)
        fields += Array(Data(signer.utf8).base64EncodedString().utf8) + Self.separator
        fields += Array(Data(signature).base64EncodedString().utf8) + Self.separator
        fields += Array(contentType.utf8) + Self.separator
        fields += Array(contentEncoding.utf8) + Self.separator
        fields += body
        return Array(Data(fields).base64EncodedString().utf8)
    }

    /// Verifies the signature against `store` and returns the inner body; throws the reason otherwise.
    public func verifiedBody(store: CertificateStore, digest: SignatureDigest, now: Date = Date()) throws -> [UInt8] {
        let certificate = try store.certificate(for: signer, at: now)
        guard certificate.isValid(signature, for: body, digest: digest) else {
            throw SecurityError.badSignature("signer \(signer): the body does not match its signature")
        }
        return body
    }

    /// Python's `bytes.split(sep, maxsplit)`.
    private static func split(_ bytes: [UInt8], maxSplits: Int) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + 1 < bytes.count, parts.count < maxSplits {
            if bytes[index] == separator[0] && bytes[index + 1] == separator[1] {
                parts.append(Array(bytes[start ..< index]))
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        parts.append(Array(bytes[start...]))
        return parts
    }
}

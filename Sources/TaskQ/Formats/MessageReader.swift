import FoundationEssentials

/// What a worker accepts and trusts: Celery's `accept_content`, the certificate store
/// for signed bodies, and TaskQ's header-signature requirement.
public struct MessageReader: Sendable {
    /// Accepted content, by kombu name or content type (`json`, `msgpack`, `yaml`, `auth`).
    public var accepted: [String]
    /// The serializers the worker can read; `accepted` picks among them (and `auth`).
    public var serializers: [Serializer]
    /// The trusted certificates, needed to read `auth` bodies and header signatures.
    public var certificates: CertificateStore?
    /// The digest of `auth` signatures (`security_digest`).
    public var digest: SignatureDigest
    /// Refuse messages without a valid ``HeaderSignature``.
    public var requiresHeaderSignature: Bool
    /// Header signatures older (or newer) than this many seconds are refused.
    public var replayWindow: Double

    /// A reader; the defaults accept JSON only, as Celery's `accept_content` does.
    public init(accepted: [String] = ["json"], serializers: [Serializer] = [.json, .msgpack],
                certificates: CertificateStore? = nil, digest: SignatureDigest = .sha256,
                requiresHeaderSignature: Bool = false, replayWindow: Double = 300) {
        self.accepted = accepted
        self.serializers = serializers
        self.certificates = certificates
        self.digest = digest
        self.requiresHeaderSignature = requiresHeaderSignature
        self.replayWindow = replayWindow
    }

    /// JSON only, unsigned: the default.
    public static let json = MessageReader()

    private func isAccepted(_ contentType: String) -> Bool {
        if contentType == CelerySignedBody.contentType {
            return accepted.contains { $0 == CelerySignedBody.serializerName || $0 == contentType }
        }
        return accepted.contains { name in
            name == contentType || serializers.contains { $0.matches(name) && $0.contentType == contentType }
        }
    }

    /// The body value of a received message, after its compression, signature and serializer.
    func decodeBody(_ transported: [UInt8], contentType: String, headers: [String: JSONValue]) throws -> JSONValue {
        if Serializer.pickleContentTypes.contains(contentType) {
            throw ProtocolError.malformed("pickle bodies are refused: unpickling runs code of the sender's choosing (send json, msgpack or yaml)")
        }
        guard isAccepted(contentType) else {
            if !accepted.contains(CelerySignedBody.serializerName) || contentType == CelerySignedBody.contentType {
                throw ProtocolError.malformed("content-type '\(contentType)' is not accepted (accept_content: \(accepted.joined(separator: ",")))")
            }
            throw SecurityError.unsigned("unsigned message (content-type '\(contentType)'), and this worker accepts only signed ones (accept_content: \(accepted.joined(separator: ",")))")
        }
        var bytes = transported
        if let compression = headers["compression"]?.stringValue {
            guard let scheme = BodyCompression(headerValue: compression) else {
                throw ProtocolError.malformed("compression '\(compression)' is not supported (gzip, bzip2 and zstd are)")
            }
            bytes = try scheme.decompress(bytes)
        }
        var innerType = contentType
        if contentType == CelerySignedBody.contentType {
            guard let certificates else {
                throw SecurityError.unsigned("signed message, but this worker has no certificate store (--security-cert-store)")
            }
            let signed = try CelerySignedBody(packed: bytes)
            bytes = try signed.verifiedBody(store: certificates, digest: digest)
            innerType = signed.contentType
        }
        guard let serializer = serializers.first(where: { $0.contentType == innerType }) else {
            throw ProtocolError.malformed("content-type '\(innerType)' has no serializer in this worker")
        }
        do {
            return try serializer.decode(bytes)
        } catch {
            throw ProtocolError.malformed("body is not \(serializer.name) (\(error))")
        }
    }

    /// Checks the header signature when one is required (the worker's replay guard then
    /// reads the signature from the headers).
    func checkHeaderSignature(headers: [String: JSONValue], transported: [UInt8], now: Date,
                              redelivered: Bool) throws {
        guard requiresHeaderSignature else { return }
        guard let certificates else {
            throw SecurityError.unsigned("--require-header-signature needs a certificate store (--security-cert-store)")
        }
        _ = try HeaderSignature.verify(headers: headers, body: transported, store: certificates,
                                       window: redelivered ? nil : replayWindow, now: now)
    }
}

import FoundationEssentials
import X509
import _CryptoExtras

/// Who signs: an RSA private key and its X.509 certificate, as Celery's
/// `security_key` and `security_certificate` name them.
public struct SigningIdentity: Sendable {
    /// The signer id receivers look the certificate up by (Celery's `Certificate.get_id()`).
    public let signer: String
    /// The digest signatures are made with (`security_digest`).
    public let digest: SignatureDigest
    private let key: RSAKey

    /// An identity from PEM text: a private key (PKCS #1 or PKCS #8, RSA, 2048 bits or more)
    /// and the certificate whose public key it matches.
    public init(keyPEM: String, certificatePEM: String, digest: SignatureDigest = .sha256) throws {
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw SecurityError.badKey("security_key is not an RSA private key of 2048 bits or more (\(error))")
        }
        let certificate = try TrustedCertificate(pem: certificatePEM)
        guard certificate.publicKeyDER == Array(key.publicKey.pkcs1DERRepresentation) else {
            throw SecurityError.badKey("security_key does not belong to security_certificate (\(certificate.id))")
        }
        self.signer = certificate.id
        self.digest = digest
        guard let parsed = RSAKey(privateDER: Array(key.derRepresentation)) else {
            throw SecurityError.badKey("security_key cannot be loaded for signing")
        }
        self.key = parsed
    }

    /// An identity from the files `security_key` and `security_certificate` name.
    public init(keyFile: String, certificateFile: String, digest: SignatureDigest = .sha256) throws {
        try self.init(keyPEM: try SecurityFiles.read(keyFile, what: "security_key"),
                      certificatePEM: try SecurityFiles.read(certificateFile, what: "security_certificate"), digest: digest)
    }

    /// The signature over `message`, as Celery's `PrivateKey.sign` makes it.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try RSAPSS.sign(message, key: key, digest: digest)
    }
}

/// Reading key and certificate files with errors that name the setting.
enum SecurityFiles {
    static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw SecurityError.badKey("\(what) file '\(path)' cannot be read")
        }
        return text
    }
}

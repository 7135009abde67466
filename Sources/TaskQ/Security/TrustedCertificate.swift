import FoundationEssentials
import X509
import _CryptoExtras

/// One X.509 certificate of a certificate store: its Celery signer id, its RSA public key
/// and when it stops being valid.
public struct TrustedCertificate: Sendable {
    /// Celery's `get_id()`: the issuer's attribute values joined by spaces, a space, the decimal serial number.
    public let id: String
    /// The end of the certificate's validity.
    public let notValidAfter: Date
    let publicKeyDER: [UInt8]
    private let key: RSAKey

    /// A certificate from PEM text; only RSA certificates are accepted, as in Celery.
    public init(pem: String) throws {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: pem)
        } catch {
            throw SecurityError.badKey("not a PEM X.509 certificate (\(error))")
        }
        guard let key = _RSA.Signing.PublicKey(certificate.publicKey) else {
            throw SecurityError.badKey("certificate \(certificate.subject) has no RSA key (Celery signs with RSA only)")
        }
        let issuer = certificate.issuer.flatMap { $0.map { String($0.value) ?? $0.value.description } }
        id = issuer.joined(separator: " ") + " " + Self.decimal(Array(certificate.serialNumber.bytes))
        notValidAfter = certificate.notValidAfter
        publicKeyDER = Array(key.pkcs1DERRepresentation)
        guard let parsed = RSAKey(publicDER: publicKeyDER) else {
            throw SecurityError.badKey("certificate \(certificate.subject): its RSA key cannot be loaded")
        }
        self.key = parsed
    }

    /// Whether the certificate has expired at `now`.
    public func hasExpired(at now: Date = Date()) -> Bool { now >= notValidAfter }

    /// Whether `signature` over `message` was made by this certificate's key.
    public func isValid(_ signature: [UInt8], for message: [UInt8], digest: SignatureDigest) -> Bool {
        RSAPSS.isValid(signature, for: message, key: key, digest: digest)
    }

    /// A big-endian unsigned integer in decimal, as Python prints `serial_number`.
    static func decimal(_ bigEndian: [UInt8]) -> String {
        var number = Array(bigEndian.drop(while: { $0 == 0 }))
        guard !number.isEmpty else { return "0" }
        var digits: [UInt8] = []
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            quotient.reserveCapacity(number.count)
            for byte in number {
                let value = remainder << 8 | Int(byte)
                let digit = value / 10
                remainder = value % 10
                if !quotient.isEmpty || digit != 0 { quotient.append(UInt8(digit)) }
            }
            digits.append(UInt8(remainder) + UInt8(ascii: "0"))
            number = quotient
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}

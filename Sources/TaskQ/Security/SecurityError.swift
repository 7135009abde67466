/// Why a message was not trusted, or why signing could not be set up. The description
/// is the reason written to the dead-letter list and the log.
public enum SecurityError: Error, CustomStringConvertible, Sendable {
    /// A key or certificate file that cannot be used.
    case badKey(String)
    /// A signed message whose signer is not in the certificate store.
    case unknownSigner(String)
    /// A signed message whose signer's certificate has expired.
    case expiredCertificate(String)
    /// A signature that does not verify: the body or the signed headers were changed, or forged.
    case badSignature(String)
    /// A message that is not signed, or not signed the way this worker requires.
    case unsigned(String)
    /// A header-signed message outside the replay window, or one already seen.
    case replayed(String)

    public var description: String {
        switch self {
        case .badKey(let detail): return "security: \(detail)"
        case .unknownSigner(let signer): return "security: unknown signer \(signer) (not in the certificate store)"
        case .expiredCertificate(let signer): return "security: the certificate of signer \(signer) has expired"
        case .badSignature(let detail): return "security: bad signature (\(detail))"
        case .unsigned(let detail): return "security: \(detail)"
        case .replayed(let detail): return "security: replay rejected (\(detail))"
        }
    }
}

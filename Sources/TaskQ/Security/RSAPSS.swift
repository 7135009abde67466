import CCryptoBoringSSL
import Crypto

/// RSA-PSS with MGF1 and the salt length Celery's `celery.security` uses: the longest
/// the key allows when signing (`PSS.MAX_LENGTH`), any when verifying.
///
/// swift-crypto's `_RSA.Signing` fixes the salt at the digest length, which Celery
/// signers never produce, so this goes to the BoringSSL inside swift-crypto for the
/// two calls and leaves key parsing to swift-crypto and swift-certificates.
enum RSAPSS {
    /// BoringSSL's `RSA_PSS_SALTLEN_AUTO`: maximal when signing, recovered when verifying.
    private static let automaticSalt: Int32 = -2

    /// A signature over `message`.
    static func sign(_ message: [UInt8], key: RSAKey, digest: SignatureDigest) throws -> [UInt8] {
        let hashed = digest.hash(message)
        var signature = [UInt8](repeating: 0, count: Int(CCryptoBoringSSL_RSA_size(key.pointer)))
        var length = 0
        let status = signature.withUnsafeMutableBufferPointer { output in
            hashed.withUnsafeBufferPointer { hash in
                CCryptoBoringSSL_RSA_sign_pss_mgf1(key.pointer, &length, output.baseAddress, output.count,
                                                   hash.baseAddress, hash.count, digest.boringDigest, nil, automaticSalt)
            }
        }
        guard status == 1 else {
            CCryptoBoringSSL_ERR_clear_error()
            throw SecurityError.badKey("RSA-PSS signing failed")
        }
        return Array(signature.prefix(length))
    }

    /// Whether `signature` over `message` verifies with `key`.
    static func isValid(_ signature: [UInt8], for message: [UInt8], key: RSAKey, digest: SignatureDigest) -> Bool {
        let hashed = digest.hash(message)
        let status = signature.withUnsafeBufferPointer { signature in
            hashed.withUnsafeBufferPointer { hash in
                CCryptoBoringSSL_RSA_verify_pss_mgf1(key.pointer, hash.baseAddress, hash.count, digest.boringDigest, nil,
                                                     automaticSalt, signature.baseAddress, signature.count)
            }
        }
        // A failed verification leaves an error on BoringSSL's queue; clear it for the next caller.
        if status != 1 { CCryptoBoringSSL_ERR_clear_error() }
        return status == 1
    }
}

/// A parsed BoringSSL RSA key, parsed once per certificate or identity rather than per message.
/// BoringSSL's RSA operations on one key are safe from several threads.
final class RSAKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// A public key from PKCS #1 DER.
    init?(publicDER: [UInt8]) {
        guard let key = publicDER.withUnsafeBufferPointer({ CCryptoBoringSSL_RSA_public_key_from_bytes($0.baseAddress, $0.count) })
        else { return nil }
        pointer = key
    }

    /// A private key from PKCS #1 DER.
    init?(privateDER: [UInt8]) {
        guard let key = privateDER.withUnsafeBufferPointer({ CCryptoBoringSSL_RSA_private_key_from_bytes($0.baseAddress, $0.count) })
        else { return nil }
        pointer = key
    }

    deinit { CCryptoBoringSSL_RSA_free(pointer) }
}

/// The digest of Celery's `security_digest` (`sha256` by default).
public enum SignatureDigest: String, Sendable, CaseIterable {
    case sha256, sha384, sha512

    /// The digest Celery's name (`sha256`, `SHA256`, ...) gives, or nil.
    public init?(celeryName: String) { self.init(rawValue: celeryName.lowercased()) }

    func hash(_ message: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: return Array(SHA256.hash(data: message))
        case .sha384: return Array(SHA384.hash(data: message))
        case .sha512: return Array(SHA512.hash(data: message))
        }
    }

    fileprivate var boringDigest: OpaquePointer? {
        switch self {
        case .sha256: return CCryptoBoringSSL_EVP_sha256()
        case .sha384: return CCryptoBoringSSL_EVP_sha384()
        case .sha512: return CCryptoBoringSSL_EVP_sha512()
        }
    }
}

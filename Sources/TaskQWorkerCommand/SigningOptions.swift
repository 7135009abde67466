import ArgumentParser
import TaskQ
import TaskQYAML

/// `--security-key`, `--security-certificate` and `--security-digest`, shared by the
/// worker and the client commands, in Celery's setting names.
package struct SigningOptions: ParsableArguments {
    @Option(name: .customLong("security-key"), help: "PEM RSA private key to sign with (Celery's security_key).")
    var securityKey: String?

    @Option(name: .customLong("security-certificate"), help: "PEM X.509 certificate of --security-key (security_certificate).")
    var securityCertificate: String?

    @Option(name: .customLong("security-digest"), help: "Signature digest: sha256 (default), sha384 or sha512 (security_digest).")
    var securityDigest = "sha256"

    package init() {}

    /// The digest `--security-digest` names.
    package func digest() throws -> SignatureDigest {
        guard let digest = SignatureDigest(celeryName: securityDigest) else {
            throw ValidationError("--security-digest must be sha256, sha384 or sha512 (got '\(securityDigest)')")
        }
        return digest
    }

    /// The signing identity, or nil when neither file is given.
    package func identity() throws -> SigningIdentity? {
        switch (securityKey, securityCertificate) {
        case (nil, nil): return nil
        case let (key?, certificate?):
            do {
                return try SigningIdentity(keyFile: key, certificateFile: certificate, digest: try digest())
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("--security-key/--security-certificate: \(error)")
            }
        default: throw ValidationError("--security-key and --security-certificate go together")
        }
    }

    /// The serializers the commands know, by kombu name.
    package static let serializers: [Serializer] = [.json, .msgpack, .yaml]

    /// The serializer `name` names (`auth` is not one: it is signing over JSON).
    package static func serializer(named name: String) -> Serializer? {
        serializers.first { $0.matches(name) }
    }

    /// The compression `name` names, or a validation error naming `flag`.
    package static func compression(_ name: String?, flag: String) throws -> BodyCompression? {
        guard let name else { return nil }
        guard let compression = BodyCompression(name: name) else {
            throw ValidationError("\(flag) must be gzip, bzip2 or zstd (got '\(name)')")
        }
        return compression
    }
}

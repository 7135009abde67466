import ArgumentParser
import TaskQ
import TaskQYAML

/// How a client command (`taskq call`, `taskq bench`) writes its messages: serializer,
/// compression and signing, in Celery's names.
struct ClientFormatOptions: ParsableArguments {
    @Option(help: "Body serializer: json (default), msgpack, yaml, or auth to sign (needs --security-key and --security-certificate).")
    var serializer = "json"

    @Option(help: "Compress the body: gzip, bzip2 or zstd.")
    var compression: String?

    @Option(name: .customLong("security-key"), help: "PEM RSA private key to sign with.")
    var securityKey: String?

    @Option(name: .customLong("security-certificate"), help: "PEM certificate of --security-key.")
    var securityCertificate: String?

    @Option(name: .customLong("security-digest"), help: "Signature digest: sha256 (default), sha384, sha512.")
    var securityDigest = "sha256"

    @Flag(name: .customLong("no-header-signature"), help: "Sign the body only, as Celery does (no TaskQ header signature).")
    var noHeaderSignature = false

    /// The message format the flags name.
    func format() throws -> MessageFormat {
        var format = MessageFormat(signsHeaders: !noHeaderSignature)
        if let securityKey, let securityCertificate {
            guard let digest = SignatureDigest(celeryName: securityDigest) else {
                throw ValidationError("--security-digest must be sha256, sha384 or sha512")
            }
            format.signing = try SigningIdentity(keyFile: securityKey, certificateFile: securityCertificate, digest: digest)
        }
        switch serializer {
        case "auth":
            guard format.signing != nil else { throw ValidationError("--serializer auth needs --security-key and --security-certificate") }
        case "json": format.serializer = .json
        case "msgpack": format.serializer = .msgpack
        case "yaml": format.serializer = .yaml
        default: throw ValidationError("--serializer must be json, msgpack, yaml or auth (got '\(serializer)')")
        }
        if let compression {
            guard let scheme = BodyCompression(name: compression) else {
                throw ValidationError("--compression must be gzip, bzip2 or zstd (got '\(compression)')")
            }
            format.compression = scheme
        }
        return format
    }

}

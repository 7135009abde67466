import ArgumentParser
import TaskQ

/// The worker's body formats and message security, in Celery's setting names.
package struct MessageSecurityOptions: ParsableArguments {
    @Option(name: .customLong("accept-content"), help: "Comma-separated content the worker runs: json, msgpack, yaml, auth (signed), by name or content type (Celery's accept_content; default json). With only auth, unsigned messages are dead-lettered.")
    var acceptContent = "json"

    @Option(name: .customLong("task-serializer"), help: "Serializer of the messages the worker sends (retries, follow-ups): json, msgpack, yaml, or auth to sign them (default json; Celery's task_serializer).")
    var taskSerializer = "json"

    @Option(name: .customLong("task-compression"), help: "Compression of the messages the worker sends: gzip, bzip2 or zstd (default none).")
    var taskCompression: String?

    @OptionGroup var signing: SigningOptions

    @Option(name: .customLong("security-cert-store"), help: "Directory, file or pattern of the PEM certificates whose signatures are trusted (security_cert_store).")
    var securityCertStore: String?

    @Flag(name: .customLong("require-header-signature"), help: "Run only messages whose TaskQ header signature (task name, id, eta, expires, retries, time limits, workflow ids, body) verifies against the certificate store, signed within the replay window and not taken before.")
    var requireHeaderSignature = false

    @Option(name: .customLong("replay-window"), help: "Seconds a header-signed message stays valid after it was signed, or after its ETA (default 300).")
    var replayWindow = 300.0

    package init() {}

    /// The reader and the outgoing format these flags describe; errors name the flag.
    package func settings() throws -> (reader: MessageReader, format: MessageFormat) {
        let digest = try signing.digest()
        let serializers = SigningOptions.serializers
        let accepted = acceptContent.split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty }
        for name in accepted where name == "pickle" || name == "application/x-python-serialize" {
            throw ValidationError("--accept-content: pickle is refused (unpickling runs code chosen by whoever can write to Redis)")
        }
        for name in accepted where name != CelerySignedBody.serializerName && name != CelerySignedBody.contentType
            && !serializers.contains(where: { $0.matches(name) }) {
            throw ValidationError("--accept-content: unknown content '\(name)' (json, msgpack, yaml, auth)")
        }
        guard replayWindow > 0 else { throw ValidationError("--replay-window must be above 0 seconds (got \(replayWindow))") }
        var store: CertificateStore?
        if let securityCertStore {
            do { store = try CertificateStore(path: securityCertStore) } catch { throw ValidationError("--security-cert-store: \(error)") }
        }
        let signs = accepted.contains(CelerySignedBody.serializerName) || taskSerializer == CelerySignedBody.serializerName
        if (signs || requireHeaderSignature) && store == nil {
            throw ValidationError("signed messages need --security-cert-store (the certificates whose signatures are trusted)")
        }
        let identity = try signing.identity()
        let reader = MessageReader(accepted: accepted, serializers: serializers, certificates: store, digest: digest,
                                   requiresHeaderSignature: requireHeaderSignature, replayWindow: replayWindow)
        var format = MessageFormat()
        if taskSerializer == CelerySignedBody.serializerName {
            guard let identity else { throw ValidationError("--task-serializer auth needs --security-key and --security-certificate") }
            format.signing = identity
        } else if let serializer = SigningOptions.serializer(named: taskSerializer) {
            format.serializer = serializer
            format.signing = identity
        } else {
            throw ValidationError("--task-serializer must be json, msgpack, yaml or auth (got '\(taskSerializer)')")
        }
        format.compression = try SigningOptions.compression(taskCompression, flag: "--task-compression")
        return (reader, format)
    }
}

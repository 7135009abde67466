import ArgumentParser
import TaskQ
import TaskQWorkerCommand

/// How a client command (`taskq call`, `taskq bench`) writes its messages: serializer,
/// compression and signing, in Celery's names.
struct ClientFormatOptions: ParsableArguments {
    @Option(help: "Body serializer: json (default), msgpack, yaml, or auth to sign (needs --security-key and --security-certificate).")
    var serializer = "json"

    @Option(help: "Compress the body: gzip, bzip2 or zstd.")
    var compression: String?

    @OptionGroup var signing: SigningOptions

    @Flag(name: .customLong("no-header-signature"), help: "Sign the body only, as Celery does (no TaskQ header signature).")
    var noHeaderSignature = false

    /// The message format the flags name; a key and certificate sign whatever the serializer.
    func format() throws -> MessageFormat {
        var format = MessageFormat(signsHeaders: !noHeaderSignature)
        format.signing = try signing.identity()
        if serializer == CelerySignedBody.serializerName {
            guard format.signing != nil else { throw ValidationError("--serializer auth needs --security-key and --security-certificate") }
        } else if let named = SigningOptions.serializer(named: serializer) {
            format.serializer = named
        } else {
            throw ValidationError("--serializer must be json, msgpack, yaml or auth (got '\(serializer)')")
        }
        format.compression = try SigningOptions.compression(compression, flag: "--compression")
        return format
    }
}

import ArgumentParser
import Foundation
import TaskQ
import TaskQWorkerCommand
import TaskQYAML

/// `taskq call tasks.add --args '[2,3]' --wait`
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Send a task by name; print its id, or with --wait its result.")

    @Argument(help: "The task name, e.g. tasks.add.")
    var name: String

    @Option(help: "Positional arguments as a JSON array.")
    var args: String = "[]"

    @Option(help: "Keyword arguments as a JSON object.")
    var kwargs: String = "{}"

    @Option(help: "The queue to send to (default: celery).")
    var queue: String?

    @Option(help: "Run no earlier than this many seconds from now.")
    var countdown: Double?

    @Option(help: "Message priority 0-9 (on Redis, lower runs first).")
    var priority: Int?

    @Flag(help: "Wait for the result and print it.")
    var wait = false

    @Option(help: "Seconds to wait with --wait (default 30).")
    var timeout: Double = 30

    @OptionGroup var connection: ConnectionOptions

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

    func run() async throws {
        guard let positional = try? JSONValue.parse(args).arrayValue else {
            throw ValidationError("--args must be a JSON array, e.g. '[2, 3]'")
        }
        guard let keywords = try? JSONValue.parse(kwargs).objectValue else {
            throw ValidationError("--kwargs must be a JSON object, e.g. '{\"x\": 1}'")
        }
        let app = connection.clientApp(format: try format())
        let options = SendOptions(countdown: countdown.map { .milliseconds(Int($0 * 1000)) }, queue: queue, priority: priority)
        let result = try await app.sendTask(name, args: positional, kwargs: keywords, options: options)
        guard wait else {
            print(result.id)
            return
        }
        try await ResultPrinter.printOutcome(of: result, timeout: timeout)
    }
}

/// Prints a finished task's value, or its failure and exit code 1.
enum ResultPrinter {
    static func printOutcome(of result: AsyncResult<JSONValue>, timeout: Double) async throws {
        switch try await result.get(timeout: .milliseconds(Int(timeout * 1000)), propagate: false) {
        case .success(let value):
            print(value.jsonText)
        case .failure(let failure):
            FileHandle.standardError.write(Data("\(failure.state): \(failure.exception)\n\(failure.traceback ?? "")".utf8))
            throw ExitCode(1)
        }
    }
}

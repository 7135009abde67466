import FoundationEssentials

/// The certificates whose signatures a receiver trusts (Celery's `security_cert_store`):
/// every PEM file of a directory, or the files a glob pattern or path names.
///
/// To rotate a key, add the new certificate beside the old one, move senders to the new
/// key, then remove the old file: both verify while both are in the store.
public struct CertificateStore: Sendable {
    /// The certificates by signer id.
    public let certificates: [String: TrustedCertificate]

    /// A store of `certificates`; two with one signer id are an error, as in Celery.
    public init(_ certificates: [TrustedCertificate]) throws {
        var byID: [String: TrustedCertificate] = [:]
        for certificate in certificates {
            guard byID[certificate.id] == nil else { throw SecurityError.badKey("duplicate certificate \(certificate.id)") }
            byID[certificate.id] = certificate
        }
        self.certificates = byID
    }

    /// The store at `path`: a directory (every file in it), a file, or a pattern ending in `*`.
    /// Expired certificates load, so that a message they signed is refused with that reason.
    public init(path: String) throws {
        var isDirectory = false
        let files: [String]
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
        } else if path.hasSuffix("*") {
            let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let prefix = String(path.split(separator: "/").last?.dropLast() ?? "")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
            files = names.filter { $0.hasPrefix(prefix) }.sorted().map { (directory.isEmpty ? "." : directory) + "/" + $0 }
        } else {
            files = [path]
        }
        guard !files.isEmpty else { throw SecurityError.badKey("security_cert_store '\(path)' holds no certificates") }
        try self.init(try files.map { try TrustedCertificate(pem: try SecurityFiles.read($0, what: "security_cert_store")) })
    }

    /// The certificate for `signer`, or why there is none to trust.
    public func certificate(for signer: String, at now: Date = Date()) throws -> TrustedCertificate {
        guard let certificate = certificates[signer] else { throw SecurityError.unknownSigner(signer) }
        guard !certificate.hasExpired(at: now) else { throw SecurityError.expiredCertificate(signer) }
        return certificate
    }
}

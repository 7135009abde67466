import Crypto
import FoundationEssentials

/// TaskQ's header signature: Celery's `auth` signs only the body, so in protocol v2 the
/// task name, id, ETA, expiry and retries (all headers) can be changed under a valid
/// signature, and a signed message can be pushed again. This header (ignored by Celery)
/// signs those headers, a timestamp and a digest of the transported body.
///
/// `{"signer": id, "signature": base64, "timestamp": epoch seconds, "digest": "sha256"}`
/// over the JSON array `[task, id, eta, expires, retries, timelimit, root_id, parent_id,
/// group, timestamp, sha256-hex(body)]`, each header as written (null when absent).
public enum HeaderSignature {
    /// The header's name.
    public static let header = "taskq_signature"
    /// The headers covered, in the order they are signed.
    public static let coveredHeaders = ["task", "id", "eta", "expires", "retries", "timelimit", "root_id", "parent_id", "group"]

    /// The header value for a message with `headers` and transported `body`, signed now by `identity`.
    public static func make(headers: [String: JSONValue], body: [UInt8], identity: SigningIdentity,
                            now: Date = Date()) throws -> JSONValue {
        let timestamp = (now.timeIntervalSince1970 * 1000).rounded() / 1000
        let signature = try identity.sign(signedBytes(headers: headers, timestamp: timestamp, body: body))
        return .object([
            "signer": .string(identity.signer),
            "signature": .string(Data(signature).base64EncodedString()),
            "timestamp": .double(timestamp),
            "digest": .string(identity.digest.rawValue),
        ])
    }

    /// Checks the header of a received message and returns its signature (the replay key).
    /// Throws when the header is missing or malformed, the signer unknown or expired, the
    /// signature wrong, or `now` more than `window` seconds past the later of the signing time
    /// and the (signed) ETA; `window` nil skips that check, for the worker's own redeliveries.
    public static func verify(headers: [String: JSONValue], body: [UInt8], store: CertificateStore,
                              window: Double?, now: Date = Date()) throws -> String {
        guard let value = headers[header] else {
            throw SecurityError.unsigned("no \(header) header, and this worker requires one (--require-header-signature)")
        }
        guard let signer = value["signer"]?.stringValue, let encoded = value["signature"]?.stringValue,
              let signature = Data(base64Encoded: encoded), let timestamp = value["timestamp"]?.doubleValue else {
            throw SecurityError.badSignature("\(header) lacks signer, signature or timestamp")
        }
        let digest: SignatureDigest
        switch value["digest"] {
        case nil: digest = .sha256
        case .string(let name)?:
            guard let named = SignatureDigest(celeryName: name) else { throw SecurityError.badSignature("unknown digest '\(name)'") }
            digest = named
        case let other?: throw SecurityError.badSignature("digest is \(other.serialized().count > 40 ? "not a name" : String(decoding: other.serialized(), as: UTF8.self)), not a name")
        }
        let certificate = try store.certificate(for: signer, at: now)
        guard certificate.isValid(Array(signature), for: signedBytes(headers: headers, timestamp: timestamp, body: body),
                                  digest: digest) else {
            throw SecurityError.badSignature("signer \(signer): the headers or body do not match \(header)")
        }
        if let window {
            let eta = headers["eta"]?.stringValue.flatMap(CeleryTime.parse)?.timeIntervalSince1970 ?? 0
            let age = now.timeIntervalSince1970 - max(timestamp, eta)
            guard age <= window, timestamp - now.timeIntervalSince1970 <= window else {
                throw SecurityError.replayed("signed \(Int(now.timeIntervalSince1970 - timestamp)) s ago, outside the \(Int(window)) s replay window")
            }
        }
        return encoded
    }

    static func signedBytes(headers: [String: JSONValue], timestamp: Double, body: [UInt8]) -> [UInt8] {
        var fields = coveredHeaders.map { headers[$0] ?? .null }
        fields.append(.double(timestamp))
        fields.append(.string(SHA256.hash(data: body).map { String($0, radix: 16).leftPadded(to: 2) }.joined()))
        return JSONValue.array(fields).serialized()
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

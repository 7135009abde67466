import Foundation
@testable import TaskQ

/// The captured Celery 5.7 messages and keys of Tests/Fixtures/formats (see its README).
enum FormatFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }

    static var certificatePath: String { directory.appendingPathComponent("signer-cert.pem").path }
    static var keyPath: String { directory.appendingPathComponent("signer-key.pem").path }

    static func store() throws -> CertificateStore { try CertificateStore(path: certificatePath) }

    static func identity() throws -> SigningIdentity {
        try SigningIdentity(keyFile: keyPath, certificateFile: certificatePath)
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index ..< next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

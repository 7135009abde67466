import Foundation
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// A real `taskq monitor` process on a free loopback port.
package final class MonitorProcess: @unchecked Sendable {
    package let process = Process()
    package let port: Int
    package let logURL: URL

    /// Starts the monitor and waits until it listens.
    package init(url: RedisURL, arguments: [String] = []) throws {
        port = try FreePort.find()
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("taskq-monitor-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: try WorkerProcess.executable("taskq"))
        process.arguments = ["monitor", "--port", String(port), "--broker", url.unmasked] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let up = try TestRedis.waitUntil(timeout: 30) { self.log.contains("Monitor listening") || !self.process.isRunning }
        guard up, process.isRunning else { throw TestSetupError("monitor did not start:\n\(self.log)") }
    }

    /// Everything the monitor logged.
    package var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    package var base: String { "http://127.0.0.1:\(port)" }

    /// Stops it (SIGTERM, then SIGKILL after 10 s).
    package func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        _ = try? TestRedis.waitUntil(timeout: 10) { !self.process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Finds a free TCP port on 127.0.0.1.
package enum FreePort {
    package static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestSetupError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Real HTTP requests through curl (a separate process, as any client would be).
package enum HTTP {
    /// A response: status, body, and headers as lowercased names.
    package struct Reply: Sendable {
        package let status: Int
        package let body: String
        package let headers: [String: String]
        /// The body parsed as JSON.
        package var json: JSONValue? { try? JSONValue.parse(body) }
    }

    /// A GET request.
    package static func get(_ url: String, headers: [String: String] = [:], user: String? = nil) throws -> Reply {
        try request("GET", url, headers: headers, user: user)
    }

    /// Sends a request and returns the reply.
    package static func request(_ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil,
                                user: String? = nil) throws -> Reply {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("hdr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        var arguments = ["-s", "-X", method, "-D", headerFile.path, "-w", "\n%{http_code}", "--max-time", "30"]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let user { arguments += ["-u", user] }
        if let body { arguments += ["--data-binary", body] }
        process.arguments = arguments + [url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self)
        let statusLine = text.split(separator: "\n", omittingEmptySubsequences: false).last.map(String.init) ?? "0"
        text = String(text.dropLast(statusLine.count + 1))
        var parsed: [String: String] = [:]
        for line in ((try? String(contentsOf: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { parsed[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return Reply(status: Int(statusLine) ?? 0, body: text, headers: parsed)
    }
}

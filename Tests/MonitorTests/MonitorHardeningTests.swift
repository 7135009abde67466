import Foundation
import Testing
import TaskQ
import TaskQTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The monitor against large tasks, slow clients and rebinding pages, over real HTTP.
@Suite("Monitor hardening: bounded history, slow clients, Host checks, HEAD (needs Redis, a worker and the monitor)", .serialized)
struct MonitorHardeningTests {
    /// A loopback TCP connection that sent `text` and waits.
    static func halfSentRequest(port: Int, _ text: String) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        _ = Array(text.utf8).withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return descriptor
    }

    /// A task's stored history record.
    static func stored(_ url: RedisURL, _ id: String) throws -> [String: String]? {
        try TestRedis.command(url, RedisCommand("GET", HistoryKeys.task(id))).bytes.flatMap(TaskHistoryJSON.decode)
    }

    /// Raises this process's open-file limit so the test can hold many connections.
    static func raiseDescriptorLimit(to wanted: rlim_t) {
        var limits = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
        limits.rlim_cur = min(max(limits.rlim_cur, wanted), limits.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
    }

    /// `curl -I`: the status and headers of a HEAD request, and how many body bytes came.
    static func head(_ url: String) throws -> (status: Int, headers: String, bodyBytes: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-I", "--max-time", "10", url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (status, parts.first ?? "", parts.dropFirst().joined().utf8.count)
    }

    @Test("tasks with 1 MB arguments keep about 1 KB each in the history; listings stay small, the task page shows the whole result")
    func boundedHistory() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "2"], name: "big")
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        let app = App("tests", broker: url.unmasked)
        let megabyte = String(repeating: "x", count: 1_000_000)
        var ids: [String] = []
        for index in 0..<20 {
            ids.append(try await app.sendTask("tasks.echo", kwargs: ["blob": .string(megabyte), "n": .int(index)]).id)
        }
        for id in ids { #expect(try await app.waitForRecord(id, timeout: .seconds(60)).status == .success) }
        _ = try await TestRedis.waitUntil(timeout: 20) {
            try ids.allSatisfy { try Self.stored(url, $0)?["state"] == "SUCCESS" }
        }
        for id in ids {
            let bytes = try TestRedis.command(url, RedisCommand("MEMORY", "USAGE", "taskq:task:\(id)")).integer ?? 0
            #expect(bytes < 16_384, "history of \(id) holds \(bytes) bytes")
            #expect(try Self.stored(url, id)?["args_json"] == nil)
        }
        let listing = try HTTP.get("\(monitor.base)/api/tasks?limit=0")
        #expect(listing.status == 200)
        #expect(listing.json?.objectValue?.count == ids.count)
        #expect(listing.body.utf8.count < 200_000, "listing of 20 tasks is \(listing.body.utf8.count) bytes")
        let page = try HTTP.get("\(monitor.base)/task/\(ids[0])")
        #expect(page.status == 200)
        #expect(page.body.contains(megabyte), "the task page shows the whole result from the result record")
        let retry = try HTTP.request("POST", "\(monitor.base)/api/task/retry/\(ids[0])")
        #expect(retry.status == 400, "a success is not retried: \(retry.body)")
    }

    @Test("1,100 half-sent requests neither stop /healthcheck nor stay open past the idle timeout")
    func slowClients() async throws {
        let url = try TestRedis.freshDatabase()
        let monitor = try MonitorProcess(url: url, arguments: ["--idle-timeout", "3"])
        defer { monitor.stop() }
        Self.raiseDescriptorLimit(to: 4_096)
        var held: [Int32] = []
        defer { for descriptor in held { close(descriptor) } }
        for _ in 0..<1_100 {
            if let descriptor = Self.halfSentRequest(port: monitor.port, "GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n") {
                held.append(descriptor)
            }
        }
        #expect(held.count == 1_100)
        let health = try HTTP.get("\(monitor.base)/healthcheck")
        #expect(health.status == 200, "healthcheck while 1,100 requests hang: \(health.status)")
        // Every half-sent request is closed by the server: a read sees the end of the stream.
        let closed = try await TestRedis.waitUntil(timeout: 20) {
            held.allSatisfy { descriptor in
                var byte: UInt8 = 0
                return recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT)) == 0
            }
        }
        #expect(closed, "the monitor closed the connections that never finished their headers")
        #expect(try HTTP.get("\(monitor.base)/healthcheck").status == 200)
    }

    @Test("without auth only loopback Host names are answered; --allowed-hosts adds names; a malformed Origin is refused")
    func hostChecks() async throws {
        let url = try TestRedis.freshDatabase()
        let monitor = try MonitorProcess(url: url, arguments: ["--allowed-hosts", "monitor.internal"])
        defer { monitor.stop() }
        let port = monitor.port
        // A DNS-rebinding page: evil.example resolves to 127.0.0.1, the browser sends its own Host.
        let rebound = try HTTP.get("\(monitor.base)/api/tasks", headers: ["Host": "evil.example:\(port)"])
        #expect(rebound.status == 403, "\(rebound.status) \(rebound.body)")
        let send = try HTTP.request("POST", "\(monitor.base)/api/task/async-apply/tasks.add",
                                    headers: ["Host": "evil.example:\(port)", "Origin": "http://evil.example:\(port)",
                                              "Content-Type": "application/json"], body: #"{"args":[1,2]}"#)
        #expect(send.status == 403)
        #expect(try HTTP.get("\(monitor.base)/api/tasks", headers: ["Host": "localhost:\(port)"]).status == 200)
        #expect(try HTTP.get("\(monitor.base)/api/tasks", headers: ["Host": "monitor.internal:\(port)"]).status == 200)
        #expect(try HTTP.get("\(monitor.base)/api/tasks", headers: ["Host": "127.0.0.1.evil.example"]).status == 403)
        let malformed = try HTTP.request("POST", "\(monitor.base)/api/task/async-apply/tasks.add",
                                         headers: ["Origin": "http://evil.com://127.0.0.1:\(port)", "Content-Type": "application/json"],
                                         body: #"{"args":[1,2]}"#)
        #expect(malformed.status == 403, "\(malformed.status) \(malformed.body)")
        let sameOrigin = try HTTP.request("POST", "\(monitor.base)/api/task/send-task/tasks.add",
                                          headers: ["Origin": "http://127.0.0.1:\(port)", "Content-Type": "application/json"],
                                          body: #"{"args":[1,2]}"#)
        #expect(sameOrigin.status == 200, "\(sameOrigin.status) \(sameOrigin.body)")
    }

    @Test("with basic auth a request for another Host name is answered (the credentials guard it)")
    func hostWithAuth() async throws {
        let url = try TestRedis.freshDatabase()
        let monitor = try MonitorProcess(url: url, arguments: ["--basic-auth", "admin:pw"])
        defer { monitor.stop() }
        let reply = try HTTP.get("\(monitor.base)/api/workers", headers: ["Host": "tasks.example.com"], user: "admin:pw")
        #expect(reply.status == 200)
    }

    @Test("HEAD is answered wherever GET is, with no body")
    func headRequests() async throws {
        let url = try TestRedis.freshDatabase()
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        for path in ["/", "/tasks", "/api/workers", "/healthcheck", "/metrics"] {
            let reply = try Self.head("\(monitor.base)\(path)")
            #expect(reply.status == 200, "HEAD \(path): \(reply.status)")
            #expect(reply.bodyBytes == 0)
        }
        #expect(try Self.head("\(monitor.base)/no-such-page").status == 404)
    }
}

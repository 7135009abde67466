import Testing
@testable import TaskQMonitor

/// How the monitor reads Host and Origin headers (no server needed).
@Suite("Host and Origin parsing")
struct HostNameTests {
    @Test("authorities give their host; malformed ones give none")
    func authorities() {
        #expect(HostName.host(ofAuthority: "LOCALHOST:5555") == "localhost")
        #expect(HostName.host(ofAuthority: "127.0.0.1") == "127.0.0.1")
        #expect(HostName.host(ofAuthority: "[::1]:5555") == "[::1]")
        #expect(HostName.host(ofAuthority: "evil.com://127.0.0.1:5555") == nil)
        #expect(HostName.host(ofAuthority: "host:99999") == nil)
        #expect(HostName.host(ofAuthority: "a b") == nil)
        #expect(HostName.host(ofAuthority: "") == nil)
    }

    @Test("loopback names: localhost, *.localhost, 127/8, ::1 and nothing that merely starts like them")
    func loopback() {
        for host in ["localhost", "app.localhost", "127.0.0.1", "127.255.3.4", "[::1]"] { #expect(HostName.isLoopback(host), "\(host)") }
        for host in ["127.0.0.1.evil.example", "localhost.evil.example", "127.0.0.256", "10.0.0.1", "evil.example", "127.1"] {
            #expect(!HostName.isLoopback(host), "\(host)")
        }
    }

    @Test("an Origin is scheme://host[:port] and nothing more")
    func origins() {
        #expect(HostName.authority(ofOrigin: "http://127.0.0.1:5555") == "127.0.0.1:5555")
        #expect(HostName.authority(ofOrigin: "HTTPS://Monitor.Example") == "monitor.example")
        #expect(HostName.authority(ofOrigin: "http://evil.com://127.0.0.1:5555") == nil)
        #expect(HostName.authority(ofOrigin: "ftp://127.0.0.1") == nil)
        #expect(HostName.authority(ofOrigin: "http://127.0.0.1/path") == nil)
    }
}

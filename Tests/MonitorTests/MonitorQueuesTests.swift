import Foundation
import TaskQ
import TaskQTestSupport
import Testing

@Suite("The monitor's queue view (needs Redis and a monitor process)")
struct MonitorQueuesTests {
    @Test("a queue holding messages that no worker consumes is listed, marked unconsumed; bookkeeping lists are not")
    func unconsumedQueue() async throws {
        let url = try TestRedis.freshDatabase()
        let worker = try WorkerProcess(url: url, arguments: ["-c", "1"])
        defer { worker.stop() }
        let monitor = try MonitorProcess(url: url)
        defer { monitor.stop() }
        let app = App("routes", broker: url.unmasked, routes: TaskRoutes(["tasks.email.*": "nobody"]))
        _ = try await app.sendTask("tasks.email.send", args: ["x"])
        _ = try await app.sendTask("tasks.email.send", args: ["y"], options: SendOptions(priority: 9))
        let queues = try #require(try HTTP.get("\(monitor.base)/api/queues/length").json?["active_queues"]?.arrayValue)
        let nobody = try #require(queues.first { $0["name"] == "nobody" })
        #expect(nobody["messages"] == 2)
        #expect(nobody["consumed"] == false)
        #expect(queues.first { $0["name"] == "celery" }?["consumed"] == true)
        #expect(!queues.contains { ($0["name"]?.stringValue ?? "").hasPrefix("taskq:") || $0["name"] == "unacked" })
        let page = try HTTP.get("\(monitor.base)/queues").body
        #expect(page.contains("nobody"))
        #expect(page.contains("no worker consumes it"))
    }
}

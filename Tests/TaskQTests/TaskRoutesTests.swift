import Foundation
import Testing
import TaskQTestSupport
@testable import TaskQ

@Suite("Task routes (Celery's task_routes)")
struct TaskRoutesTests {
    @Test("globs: * spans any run of characters, dots included; ? one character")
    func globs() {
        #expect(TaskRoutes.glob("tasks.email.*", matches: "tasks.email.send"))
        #expect(TaskRoutes.glob("tasks.email.*", matches: "tasks.email.digest.weekly"))
        #expect(!TaskRoutes.glob("tasks.email.*", matches: "tasks.emails"))
        #expect(TaskRoutes.glob("*.report?", matches: "sales.report1"))
        #expect(!TaskRoutes.glob("*.report?", matches: "sales.report"))
        #expect(TaskRoutes.glob("*", matches: ""))
        #expect(TaskRoutes.glob("a*b*c", matches: "axxbyybzc"))
        #expect(!TaskRoutes.glob("a*b*c", matches: "axxbyyb"))
    }

    @Test("rules are tried in order: exact names, patterns and functions; nil when none matches")
    func order() {
        let routes = TaskRoutes([
            .name("tasks.email.urgent", queue: "urgent"),
            .pattern("tasks.email.*", queue: "io"),
            .function { name, args, _ in name == "tasks.resize" && args.first == "big" ? "cpu-big" : nil },
            .function { name, _, _ in name.hasPrefix("tasks.") ? "cpu" : nil },
        ])
        #expect(routes.queue(for: "tasks.email.urgent") == "urgent")
        #expect(routes.queue(for: "tasks.email.send") == "io")
        #expect(routes.queue(for: "tasks.resize", args: ["big"]) == "cpu-big")
        #expect(routes.queue(for: "tasks.resize", args: ["small"]) == "cpu")
        #expect(routes.queue(for: "other.thing") == nil)
        let table = TaskRoutes(["tasks.add": "math", "tasks.email.*": "io"])
        #expect(table.queue(for: "tasks.add") == "math")
        #expect(table.queue(for: "tasks.email.x") == "io")
    }

    @Test("sends go to the routed queue's list in Redis; a per-call queue still wins, then routes, then the task's own")
    func routedInRedis() async throws {
        let url = try TestRedis.freshDatabase()
        let app = App("routes", broker: url.unmasked, routes: TaskRoutes([
            .pattern("tasks.email.*", queue: "io"),
            .function { name, _, _ in name == "tasks.resize" ? "cpu" : nil },
        ]))
        let send = app.task("tasks.email.send") { (to: String) in to }
        let resize = app.task("tasks.resize", options: TaskOptions(queue: "ignored")) { (x: Int) in x }
        let plain = app.task("tasks.plain", options: TaskOptions(queue: "own")) { (x: Int) in x }
        _ = try await send.delay("a@example.com")
        _ = try await send.applyAsync("b@example.com", options: SendOptions(queue: "override"))
        _ = try await resize.delay(1)
        _ = try await plain.delay(1)
        _ = try await app.sendBatch([try send.call("c@example.com"), try resize.call(2)])
        _ = try await app.sendTask("tasks.email.raw", args: ["d"])
        func length(_ list: String) throws -> Int { try TestRedis.command(url, RedisCommand("LLEN", list)).integer ?? -1 }
        #expect(try length("io") == 3)
        #expect(try length("override") == 1)
        #expect(try length("cpu") == 2)
        #expect(try length("own") == 1)
        #expect(try length("celery") == 0)
    }
}

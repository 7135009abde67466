import Foundation
import HTTPTypes
import Hummingbird
import TaskQ

/// The HTML pages, the static assets and the live event stream.
struct PageRoutes {
    let store: MonitorStore
    let live: LiveEvents

    func register(on router: Router<BasicRequestContext>) {
        let brokerURL = store.brokerURL
        router.get("/") { _, _ in HTML.page(title: "Workers", active: "workers", body: WorkersPage.render(try await store.workers()), brokerURL: brokerURL) }
        router.get("/workers") { request, _ in
            let workers = try await store.workers()
            if request.uri.queryParameters.get("json") != nil { return flowerWorkersJSON(workers) }
            return HTML.page(title: "Workers", active: "workers", body: WorkersPage.render(workers), brokerURL: brokerURL)
        }
        router.get("/worker/:name") { _, context in
            let name = try RequestInput.pathParameter("name", context)
            guard let worker = try await store.worker(named: name) else { throw MonitorError.notFound("unknown worker '\(name)'") }
            return HTML.page(title: name, active: "workers", body: WorkerPage.render(worker), brokerURL: brokerURL)
        }
        router.get("/tasks") { request, _ in
            let input = try await RequestInput(request)
            var query = TaskQuery()
            let limit = try input.int("limit") ?? 50
            guard limit > 0 else { throw MonitorError.badRequest("'limit' must be 1 or more, not \(limit)") }
            query.limit = min(limit, 500)
            query.offset = max(try input.int("offset") ?? 0, 0)
            query.state = input["state"]
            query.taskName = input["taskname"]
            query.workerName = input["workername"]
            query.search = input["search"]
            let page = try await store.tasks(query)
            let names = try await store.taskTypes()
            let workers = try await store.workers().map(\.name)
            return HTML.page(title: "Tasks", active: "tasks",
                             body: TasksPage.render(tasks: page.tasks, total: page.total, scanLimit: page.scanLimit, query: query, names: names, workers: workers),
                             brokerURL: brokerURL)
        }
        router.get("/task/:id") { _, context in
            let id = try RequestInput.pathParameter("id", context)
            guard let task = try await store.task(id) else { throw MonitorError.notFound("unknown task '\(id)'") }
            return HTML.page(title: task.name, active: "tasks", body: TaskPage.render(task, result: try await store.result(id)), brokerURL: brokerURL)
        }
        router.get("/queues") { _, _ in
            let body = QueuesPage.render(queues: try await store.queueLengths(), consumed: try await store.consumedQueues(),
                                         bookkeeping: try await store.bookkeeping(),
                                         deadLetters: try await store.deadLetters())
            return HTML.page(title: "Queues", active: "queues", body: body, brokerURL: brokerURL)
        }
        router.get("/schedules") { _, _ in
            let schedules = ScheduleStore(redis: store.broker)
            let statuses = try await schedules.statuses().entries
            let ids = statuses.compactMap(\.lastTaskID)
            var states: [String: String] = [:]
            for id in ids { if let state = try await store.result(id)?.status.rawValue { states[id] = state } }
            let leader = try await schedules.leader()?.beat
            return HTML.page(title: "Schedules", active: "schedules", body: SchedulesPage.render(statuses, lastStates: states, leader: leader), brokerURL: brokerURL)
        }
        router.get("/static/taskq.css") { _, _ in asset(Assets.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/static/taskq.js") { _, _ in asset(Assets.script, type: "text/javascript; charset=utf-8") }
        router.get("/events") { _, _ in eventStream() }
    }

    private func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Flower's `/workers?json=1` shape.
    private func flowerWorkersJSON(_ workers: [WorkerStatus]) -> Response {
        let now = Date().timeIntervalSince1970
        return JSONResponse.make(["data": .array(workers.map { $0.flowerEntry(now: now) })])
    }

    /// Server-Sent Events: one `data:` line per event, a comment every second to notice gone clients.
    private func eventStream() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let live = self.live
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let (id, stream) = live.connect()
            defer { live.remove(id) }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    live.ping(id)
                }
            }
            defer { ticker.cancel() }
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            for await line in stream {
                try await writer.write(ByteBuffer(string: line.isEmpty ? ": ping\n\n" : "data: \(line)\n\n"))
            }
            try await writer.finish(nil)
        })
    }
}

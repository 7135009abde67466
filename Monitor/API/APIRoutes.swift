import Foundation
import HTTPTypes
import Hummingbird
import TaskQ

/// The HTTP API on Flower's paths and JSON shapes.
struct APIRoutes {
    let store: MonitorStore
    let app: App
    let live: LiveEvents

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthcheck") { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "OK"))) }
        router.get("/metrics") { _, _ in try await metrics() }
        router.get("/api/workers") { request, _ in try await workers(RequestInput(request)) }
        router.get("/api/tasks") { request, _ in try await tasks(RequestInput(request)) }
        router.get("/api/task/types") { _, _ in
            JSONResponse.make(["task-types": .array(try await store.taskTypes().map(JSONValue.string))])
        }
        router.get("/api/task/info/:id") { _, context in
            let id = try RequestInput.pathParameter("id", context)
            guard let task = try await store.task(id) else { throw MonitorError.notFound("unknown task '\(id)'") }
            return JSONResponse.make(task.json)
        }
        router.get("/api/task/result/:id") { request, context in
            try await result(id: try RequestInput.pathParameter("id", context), RequestInput(request))
        }
        router.post("/api/task/async-apply/:name") { request, context in
            try await send(name: try RequestInput.pathParameter("name", context), RequestInput(request), mustBeKnown: true)
        }
        router.post("/api/task/send-task/:name") { request, context in
            try await send(name: try RequestInput.pathParameter("name", context), RequestInput(request), mustBeKnown: false)
        }
        router.post("/api/task/revoke/:id") { request, context in
            let id = try RequestInput.pathParameter("id", context)
            let input = try await RequestInput(request)
            try await app.control.revoke(id, terminate: input.bool("terminate"), signal: input["signal"] ?? "SIGTERM")
            return JSONResponse.make(["message": .string("Revoked '\(id)'")])
        }
        router.post("/api/task/retry/:id") { _, context in try await retry(id: try RequestInput.pathParameter("id", context)) }
        router.post("/api/task/rate-limit/:name") { request, context in
            try await rateLimit(name: try RequestInput.pathParameter("name", context), RequestInput(request))
        }
        router.post("/api/task/timeout/:name") { request, context in
            try await timeLimit(name: try RequestInput.pathParameter("name", context), RequestInput(request))
        }
        router.get("/api/queues/length") { _, _ in
            let queues = try await store.queueLengths()
            let consumed = try await store.consumedQueues()
            return JSONResponse.make(["active_queues": .array(queues.map {
                ["name": .string($0.name), "messages": .int($0.total), "consumed": .bool(consumed.contains($0.name))]
            })])
        }
        router.get("/api/dead-letters") { _, _ in JSONResponse.make(.array(try await store.deadLetters())) }
        router.post("/api/dead-letters/purge") { _, _ in
            JSONResponse.make(["message": .string("Purged \(try await store.purgeDeadLetters()) dead letter(s)")])
        }
        router.post("/api/worker/shutdown/:name") { _, context in
            let name = try await knownWorker(context)
            try await app.control.shutdown(destination: [name])
            return JSONResponse.make(["message": "Shutting down!"])
        }
        router.post("/api/worker/pool/grow/:name") { request, context in
            try await pool(grow: true, worker: try await knownWorker(context), RequestInput(request))
        }
        router.post("/api/worker/pool/shrink/:name") { request, context in
            try await pool(grow: false, worker: try await knownWorker(context), RequestInput(request))
        }
        router.post("/api/worker/pool/autoscale/:name") { request, context in
            try await autoscale(worker: try await knownWorker(context), RequestInput(request))
        }
    }

    private func knownWorker(_ context: BasicRequestContext) async throws -> String {
        let name = try RequestInput.pathParameter("name", context)
        guard try await store.worker(named: name) != nil else { throw MonitorError.notFound("unknown worker '\(name)'") }
        return name
    }

    private func workers(_ input: RequestInput) async throws -> Response {
        var all = try await store.workers()
        if let name = input["workername"] {
            all = all.filter { $0.name == name }
            if all.isEmpty { throw MonitorError.notFound("unknown worker '\(name)'") }
        }
        if input.bool("status") {
            return JSONResponse.make(.object(Dictionary(uniqueKeysWithValues: all.map { ($0.name, JSONValue.bool($0.isOnline())) })))
        }
        return JSONResponse.make(.object(Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.flowerJSON) })))
    }

    private func tasks(_ input: RequestInput) async throws -> Response {
        var query = TaskQuery()
        // Flower lists every task for `limit=0` (or none given); we default to 100 and cap at 10,000.
        let limit = try input.int("limit") ?? 100
        guard limit >= 0 else { throw MonitorError.badRequest("'limit' must be 0 (as many as allowed) or more, not \(limit)") }
        query.limit = limit == 0 ? TaskQuery.maxLimit : min(limit, TaskQuery.maxLimit)
        query.offset = max(try input.int("offset") ?? 0, 0)
        query.state = input["state"]?.uppercased()
        query.taskName = input["taskname"]
        query.workerName = input["workername"]
        query.sortBy = input["sort_by"]
        if let sort = query.sortBy, !["name", "state", "received", "started"].contains(sort.hasPrefix("-") ? String(sort.dropFirst()) : sort) {
            throw MonitorError.badRequest("sort_by must be name, state, received or started (optionally with a leading '-')")
        }
        query.receivedStart = TaskQuery.parseTime(input["received_start"])
        query.receivedEnd = TaskQuery.parseTime(input["received_end"])
        if input["received_start"] != nil && query.receivedStart == nil { throw MonitorError.badRequest("received_start must be YYYY-MM-DD HH:MM") }
        if input["received_end"] != nil && query.receivedEnd == nil { throw MonitorError.badRequest("received_end must be YYYY-MM-DD HH:MM") }
        query.search = input["search"]
        let page = try await store.tasks(query)
        var response = JSONResponse.orderedObject(page.tasks.map { ($0.id, $0.json) })
        response.headers[HTTPField.Name("X-TaskQ-Total")!] = String(page.total)
        if let scanned = page.scanLimit {
            // A search reads the newest tasks only; say so without changing Flower's body shape.
            response.headers[HTTPField.Name("X-TaskQ-Scan-Limit")!] = String(scanned)
        }
        return response
    }

    private func result(id: String, _ input: RequestInput) async throws -> Response {
        var record = try await store.result(id)
        if let timeout = try input.double("timeout"), record?.status.isReady != true {
            let outcome = try? await app.waitForRecord(id, timeout: .milliseconds(Int(min(timeout, 60) * 1000)))
            record = outcome ?? record
        }
        guard let record else {
            if try await store.task(id) == nil {
                throw MonitorError.notFound("unknown task '\(id)'")
            }
            return JSONResponse.make(["task-id": .string(id), "state": "PENDING", "result": nil])
        }
        var body: [String: JSONValue] = ["task-id": .string(id), "state": .string(record.status.rawValue)]
        if record.status == .success {
            body["result"] = record.result
        } else if let exception = record.exception {
            body["result"] = .string(exception.pythonRepr)
            body["traceback"] = record.traceback.map(JSONValue.string) ?? .null
        } else {
            body["result"] = record.result
        }
        return JSONResponse.make(.object(body))
    }

    private func send(name: String, _ input: RequestInput, mustBeKnown: Bool) async throws -> Response {
        if mustBeKnown, !(try await store.taskTypes().contains(name)) {
            throw MonitorError.notFound("unknown task '\(name)'; use /api/task/send-task to send tasks no worker has registered yet")
        }
        let body = input.json ?? [:]
        let args: [JSONValue]
        let kwargs: [String: JSONValue]
        switch body["args"] {
        case nil, .null?: args = []
        case .array(let items)?: args = items
        default: throw MonitorError.badRequest("'args' must be a JSON array")
        }
        switch body["kwargs"] {
        case nil, .null?: kwargs = [:]
        case .object(let members)?: kwargs = members
        default: throw MonitorError.badRequest("'kwargs' must be a JSON object")
        }
        var options = SendOptions()
        if let countdown = body["countdown"]?.doubleValue { options.countdown = .milliseconds(Int(countdown * 1000)) }
        if let eta = body["eta"]?.stringValue {
            guard let date = CeleryTime.parse(eta) else { throw MonitorError.badRequest("'eta' must be an ISO-8601 time") }
            options.eta = date
        }
        if let expires = body["expires"]?.doubleValue { options.expiresIn = .milliseconds(Int(expires * 1000)) }
        options.queue = body["queue"]?.stringValue
        options.priority = body["priority"]?.intValue
        options.taskID = body["task_id"]?.stringValue
        let result = try await app.sendTask(name, args: args, kwargs: kwargs, options: options)
        return JSONResponse.make(["task-id": .string(result.id), "state": "PENDING"])
    }

    private func retry(id: String) async throws -> Response {
        guard let task = try await store.task(id) else { throw MonitorError.notFound("unknown task '\(id)'") }
        guard ["FAILURE", "REVOKED"].contains(task.state) else {
            throw MonitorError.badRequest("only failed or revoked tasks can be retried; '\(id)' is \(task.state)")
        }
        // History keeps the arguments' JSON only while it is small (64 KiB); a retry never
        // resends the truncated repr in their place.
        guard let argsJSON = task[.argsJSON], let kwargsJSON = task[.kwargsJSON] else {
            throw MonitorError.badRequest("the arguments of '\(id)' were too large to keep in the monitor's history; send the task again from the app")
        }
        let args = (try? JSONValue.parse(argsJSON))?.arrayValue ?? []
        let kwargs = (try? JSONValue.parse(kwargsJSON))?.objectValue ?? [:]
        let result = try await app.sendTask(task.name, args: args, kwargs: kwargs,
                                            options: SendOptions(queue: task[.queue].flatMap { $0.isEmpty ? nil : $0 }))
        return JSONResponse.make(["task-id": .string(result.id), "state": "PENDING", "retry-of": .string(id)])
    }

    private func rateLimit(name: String, _ input: RequestInput) async throws -> Response {
        let worker = try input.require("workername")
        let rate = try input.require("ratelimit")
        guard try await store.worker(named: worker) != nil else { throw MonitorError.notFound("unknown worker '\(worker)'") }
        if rate != "0" {
            do { _ = try RateLimit(rate) } catch { throw MonitorError.badRequest("\(error)") }
        }
        let replies = try await app.control.rateLimit(name, rate == "0" ? nil : rate, destination: [worker])
        return JSONResponse.make(try controlMessage(replies[worker], worker: worker, task: name))
    }

    private func timeLimit(name: String, _ input: RequestInput) async throws -> Response {
        let worker = try input.require("workername")
        guard try await store.worker(named: worker) != nil else { throw MonitorError.notFound("unknown worker '\(worker)'") }
        let replies = try await app.control.inspect("time_limit", arguments: [
            "task_name": .string(name),
            "hard": try input.double("hard").map(JSONValue.double) ?? .null,
            "soft": try input.double("soft").map(JSONValue.double) ?? .null,
        ], destination: [worker])
        return JSONResponse.make(try controlMessage(replies[worker], worker: worker, task: name))
    }

    private func pool(grow: Bool, worker: String, _ input: RequestInput) async throws -> Response {
        let count = max(1, try input.int("n") ?? 1)
        let replies = try await app.control.inspect(grow ? "pool_grow" : "pool_shrink", arguments: ["n": .int(count)], destination: [worker])
        _ = try controlMessage(replies[worker], worker: worker, task: nil)
        return JSONResponse.make(["message": .string("\(grow ? "Growing" : "Shrinking") '\(worker)' worker's pool by \(count)")])
    }

    /// Flower's autoscale call: new `min` and `max` children for a prefork worker.
    private func autoscale(worker: String, _ input: RequestInput) async throws -> Response {
        guard let minimum = try input.int("min"), let maximum = try input.int("max") else {
            throw MonitorError.badRequest("autoscale needs min and max")
        }
        let replies = try await app.control.inspect("autoscale", arguments: ["max": .int(maximum), "min": .int(minimum)], destination: [worker])
        _ = try controlMessage(replies[worker], worker: worker, task: nil)
        return JSONResponse.make(["message": .string("Autoscaling '\(worker)' worker (min=\(minimum), max=\(maximum))")])
    }

    /// `{"message": ok}` from a worker's control reply, or the error it stands for: 404 for a task
    /// the worker does not know (as Flower), 400 for another refusal, 504 when the worker did not answer.
    private func controlMessage(_ reply: JSONValue?, worker: String, task: String?) throws -> JSONValue {
        guard let reply else {
            throw MonitorError.noReply("no reply from worker '\(worker)' within 1 s; is it running and consuming from this broker?")
        }
        if let text = reply["error"]?.stringValue {
            if text == "unknown task", let task {
                throw MonitorError.notFound("unknown task '\(task)' on worker '\(worker)'")
            }
            throw MonitorError.badRequest("worker '\(worker)' refused: \(text)")
        }
        return ["message": .string(reply["ok"]?.stringValue ?? "ok")]
    }

    private func metrics() async throws -> Response {
        let queues = try await store.queueLengths().map { (name: $0.name, total: $0.total) }
        let text = live.metrics.render(queues: queues, bookkeeping: try await store.bookkeeping())
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

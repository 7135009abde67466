import Foundation
import Hummingbird
import TaskQ

/// `/api/schedules…`: list and edit periodic entries (the same store as `taskq beat list|add|…`),
/// behind the same authentication and cross-site checks as the other control routes.
///
///     GET  /api/schedules                 every entry with its state
///     GET  /api/schedules/:name           one entry
///     POST /api/schedules[?replace=1]     add a run-time entry (body: the entry's JSON, see `ScheduleEntry.json`)
///     POST /api/schedules/:name/pause | resume | run-now | remove
struct ScheduleRoutes {
    let schedules: ScheduleStore

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/schedules") { _, _ in JSONResponse.make(.array(try await statuses().map(Self.json))) }
        router.get("/api/schedules/:name") { _, context in JSONResponse.make(Self.json(try await known(context))) }
        router.post("/api/schedules") { request, _ in
            let input = try await RequestInput(request)
            guard let body = input.json else { throw MonitorError.badRequest("send the entry as a JSON body: {\"name\", \"task\", \"schedule\": {\"every\": 30} or {\"crontab\": \"0 9 * * mon-fri\", \"timezone\": \"UTC\"}, …}") }
            do {
                let entry = try ScheduleEntry(json: body)
                try await schedules.add(entry, replace: input.bool("replace"))
                guard let added = try await schedules.status(entry.name) else { throw MonitorError.notFound("entry '\(entry.name)' vanished") }
                return JSONResponse.make(Self.json(added), status: .created)
            } catch let error as ScheduleError {
                throw MonitorError.badRequest("\(error)")
            } catch let error as ScheduleStoreError {
                if case .conflict(let text) = error { throw MonitorError(status: .conflict, message: text) }
                throw error
            }
        }
        router.post("/api/schedules/:name/pause") { _, context in try await setPaused(context, true) }
        router.post("/api/schedules/:name/resume") { _, context in try await setPaused(context, false) }
        router.post("/api/schedules/:name/run-now") { _, context in
            let name = try await known(context).name
            guard let id = try await schedules.runNow(name, origin: App.origin) else { throw MonitorError.notFound("unknown schedule '\(name)'") }
            return JSONResponse.make(["message": .string("Sent \(name)"), "task-id": .string(id)])
        }
        router.post("/api/schedules/:name/remove") { _, context in
            let name = try await known(context).name
            try await schedules.remove(name)
            return JSONResponse.make(["message": .string("Removed \(name)")])
        }
    }

    private func statuses() async throws -> [ScheduleEntryStatus] { try await schedules.statuses().entries }

    private func known(_ context: BasicRequestContext) async throws -> ScheduleEntryStatus {
        let name = try RequestInput.pathParameter("name", context)
        guard let status = try await schedules.status(name) else { throw MonitorError.notFound("unknown schedule '\(name)'") }
        return status
    }

    private func setPaused(_ context: BasicRequestContext, _ paused: Bool) async throws -> Response {
        let name = try await known(context).name
        try await schedules.setPaused(name, paused)
        return JSONResponse.make(["message": .string("\(paused ? "Paused" : "Resumed") \(name)")])
    }

    static func json(_ status: ScheduleEntryStatus) -> JSONValue {
        status.json(nextRunLocal: status.nextRun.flatMap(status.entry.timing.localText))
    }
}

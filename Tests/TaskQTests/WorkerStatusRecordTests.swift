import Testing
@testable import TaskQ

@Suite("Worker status records")
struct WorkerStatusRecordTests {
    static func sample() -> WorkerStatusRecord {
        var status = WorkerStatusRecord()
        status.hostname = "celery@host"
        status.timestamp = 1_780_000_000.25
        status.online = false
        status.pid = 4321
        status.concurrency = 2
        status.pool = "async"
        status.tasksPerProcess = 100
        status.queues = ["celery", "high"]
        status.registered = [.init(name: "tasks.add", listing: "tasks.add [rate_limit=10/s]"), .init(name: "tasks.mul", listing: "tasks.mul")]
        status.activeTasks = [["id": "abc", "name": "tasks.add", "args": "(2, 3)", "time_start": 1_780_000_000.5]]
        status.children = [4322, 4323]
        status.started = 1_779_999_000.0
        status.totals = ["tasks.add": 7, "tasks.mul": 1]
        status.succeeded = 6
        status.failed = 1
        status.retried = 3
        status.freq = 2.0
        status.active = 1
        status.processed = 8
        status.loadavg = [0.5, 0.25, 0.0]
        status.swIdent = "taskq"
        status.swVer = "1.2.3"
        status.swSys = "Linux"
        return status
    }

    @Test("json has the members and shapes the monitor, its pages and Flower's API read")
    func shape() {
        let expected: JSONValue = [
            "hostname": "celery@host", "timestamp": .double(1_780_000_000.25), "online": false, "pid": 4321,
            "concurrency": 2, "pool": "async", "tasks_per_process": 100, "queues": ["celery", "high"],
            "registered": [["name": "tasks.add", "listing": "tasks.add [rate_limit=10/s]"], ["name": "tasks.mul", "listing": "tasks.mul"]],
            "active_tasks": [["id": "abc", "name": "tasks.add", "args": "(2, 3)", "time_start": .double(1_780_000_000.5)]],
            "children": [4322, 4323], "started": .double(1_779_999_000), "stats": ["total": ["tasks.add": 7, "tasks.mul": 1]],
            "succeeded": 6, "failed": 1, "retried": 3,
            "freq": .double(2), "active": 1, "processed": 8, "loadavg": [.double(0.5), .double(0.25), .double(0)],
            "sw_ident": "taskq", "sw_ver": "1.2.3", "sw_sys": "Linux",
        ]
        #expect(Self.sample().json == expected)
        #expect(Set(WorkerStatusRecord.Key.allCases.map(\.rawValue)) == Set(expected.objectValue!.keys))
        // Times, freq and loadavg are written as floats even when whole, counts as integers.
        let text = String(decoding: Self.sample().json.serialized(), as: UTF8.self)
        #expect(text.contains(#""freq":2.0"#) && text.contains(#""started":1779999000.0"#) && text.contains(#""pid":4321"#))
    }

    @Test("json read back from its text is the same record")
    func roundTrip() throws {
        let status = Self.sample()
        #expect(WorkerStatusRecord(json: try JSONValue.parse(status.json.serialized())) == status)
        #expect(WorkerStatusRecord(json: WorkerStatusRecord().json) == WorkerStatusRecord())
    }

    @Test("missing or mistyped members keep their defaults; a missing start is the timestamp")
    func tolerant() {
        let partial = WorkerStatusRecord(json: ["hostname": "ghost@nowhere", "timestamp": 100, "freq": "often", "pid": "x",
                                                "registered": [["listing": "no name"], ["name": "tasks.add"]], "stats": [:]])
        #expect(partial.hostname == "ghost@nowhere")
        #expect(partial.timestamp == 100)
        #expect(partial.started == 100)
        #expect(partial.online)
        #expect(partial.freq == 2)
        #expect(partial.pid == 0)
        #expect(partial.registered == [.init(name: "tasks.add", listing: "tasks.add")])
        #expect(partial.totals.isEmpty && partial.queues.isEmpty && partial.loadavg.isEmpty && partial.activeTasks.isEmpty)
        #expect(WorkerStatusRecord(json: "not an object") == WorkerStatusRecord())
    }
}

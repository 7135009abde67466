import Foundation
import Testing
@testable import TaskQ

@Suite("Celery protocol codec")
struct ProtocolTests {
    @Test("formats and parses Celery timestamps")
    func times() throws {
        let date = Date(timeIntervalSince1970: 1_795_580_790.776784)
        #expect(CeleryTime.format(date) == "2026-11-25T04:26:30.776784+00:00")
        let parsed = try #require(CeleryTime.parse("2026-11-25T04:26:30.776784+00:00"))
        #expect(abs(parsed.timeIntervalSince1970 - 1_795_580_790.776784) < 0.000_01)
        #expect(CeleryTime.parse("2026-11-25T05:26:30+01:00")?.timeIntervalSince1970 == 1_795_580_790)
        #expect(CeleryTime.parse("2026-11-25T04:26:30Z")?.timeIntervalSince1970 == 1_795_580_790)
        #expect(CeleryTime.parse("2026-11-25T04:26:30")?.timeIntervalSince1970 == 1_795_580_790)
        #expect(CeleryTime.parse("yesterday") == nil)
    }

    @Test("reads a captured Celery 5.7 envelope")
    func readsCeleryEnvelope() throws {
        let envelope = #"{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "b5c0c2d6-6344-4415-8160-e6609770f6b5", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "b5c0c2d6-6344-4415-8160-e6609770f6b5", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen7858@vm", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "b5c0c2d6-6344-4415-8160-e6609770f6b5", "reply_to": "58101a2d-8f28-3b06-bd46-93ecb406e34b", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "ae971df2-96c9-4bc4-89a5-27a77cf365cd"}}"#
        let message = try TaskMessage(envelope: Array(envelope.utf8))
        #expect(message.name == "tasks.add")
        #expect(message.id == "b5c0c2d6-6344-4415-8160-e6609770f6b5")
        #expect(message.args == [2, 3])
        #expect(message.kwargs.isEmpty)
        #expect(message.deliveryTag == "ae971df2-96c9-4bc4-89a5-27a77cf365cd")
        #expect(message.routingKey == "celery")
        #expect(message.eta == nil)
        #expect(message.timeLimits.hard == nil)
    }

    @Test("reads a minimal raw-client message with a plain JSON body")
    func readsPlainBody() throws {
        let envelope = #"{"body": "[[], {\"x\": 40, \"y\": 2}, {}]", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "abc"}, "properties": {"delivery_tag": "t1"}}"#
        let message = try TaskMessage(envelope: Array(envelope.utf8))
        #expect(message.kwargs == ["x": 40, "y": 2])
        #expect(message.argsRepr == "()")
    }

    @Test("refuses messages it cannot run, saying why")
    func refuses() {
        let cases: [(String, String)] = [
            ("not json", "envelope is not JSON"),
            (#"{"body": "W10=", "properties": {}}"#, "no 'headers'"),
            (#"{"body": "W10=", "headers": {"id": "1"}, "properties": {}}"#, "no 'task'"),
            (#"{"body": "!!", "headers": {"task": "t", "id": "1"}, "properties": {"body_encoding": "base64"}}"#, "base64"),
            (#"{"body": "W10=", "headers": {"task": "t", "id": "1"}, "properties": {"body_encoding": "base64"}}"#, "[args, kwargs, embed]"),
            (#"{"body": "x", "content-type": "application/x-python-serialize", "headers": {"task": "t", "id": "1"}, "properties": {}}"#, "pickle bodies are refused"),
            (#"{"body": "x", "content-type": "application/x-msgpack", "headers": {"task": "t", "id": "1"}, "properties": {}}"#, "content-type 'application/x-msgpack' is not accepted"),
        ]
        for (text, reason) in cases {
            do {
                _ = try TaskMessage(envelope: Array(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(String(describing: error).contains(reason), "\(error) should mention \(reason)")
            }
        }
    }

    @Test("writes a message whose envelope reads back the same")
    func envelopeRoundTrip() throws {
        let message = TaskMessage.make(name: "tasks.mul", id: "id-1", args: [3, 4], kwargs: ["z": "q"], queue: "math",
                                       priority: 7, retries: 2, origin: "gen1@host")
        let read = try TaskMessage(envelope: message.envelope())
        #expect(read.name == "tasks.mul")
        #expect(read.args == [3, 4])
        #expect(read.kwargs == ["z": "q"])
        #expect(read.retries == 2)
        #expect(read.priority == 7)
        #expect(read.targetList(fallbackQueue: "celery") == "math\u{06}\u{16}6")
        #expect(read.headers["kwargsrepr"] == "{'z': 'q'}")
    }

    @Test("maps priorities onto kombu's steps")
    func priorities() {
        #expect(CeleryKeys.queueList("celery", priority: 0) == "celery")
        #expect(CeleryKeys.queueList("celery", priority: 2) == "celery")
        #expect(CeleryKeys.queueList("celery", priority: 5) == "celery\u{06}\u{16}3")
        #expect(CeleryKeys.queueList("celery", priority: 9) == "celery\u{06}\u{16}9")
        #expect(CeleryKeys.queueList("celery", priority: 42) == "celery\u{06}\u{16}9")
        #expect(CeleryKeys.queueLists("q") == ["q", "q\u{06}\u{16}3", "q\u{06}\u{16}6", "q\u{06}\u{16}9"])
    }

    @Test("reads and writes result records")
    func resultRecords() throws {
        let record = ResultRecord(taskID: "t", status: .failure, exception: ExceptionInfo(type: "ValueError", message: "bad", module: "builtins"),
                                  traceback: "tb", dateDone: Date(timeIntervalSince1970: 0), extra: ["parent_id": "p"])
        let json = record.json
        #expect(json["status"] == "FAILURE")
        #expect(json["result"] == ["exc_type": "ValueError", "exc_message": ["bad"], "exc_module": "builtins"])
        #expect(json["date_done"] == "1970-01-01T00:00:00.000000+00:00")
        #expect(json["parent_id"] == "p")
        let back = try ResultRecord(bytes: record.serialized())
        #expect(back.exception?.type == "ValueError")
        #expect(back.status.propagates)
        // The written bytes say exactly what `json` says, extra members included and never doubled.
        var clash = record
        clash.extra["status"] = "PENDING"
        #expect(try JSONValue.parse(record.serialized()) == json)
        #expect(try JSONValue.parse(clash.serialized()) == json)
    }

    @Test("cuts frames out of arbitrary chunks")
    func frames() throws {
        let bytes = Frame.encode(["type": "run", "job": 1]) + Frame.encode(["type": "done", "job": 1])
        var reader = FrameReader()
        var seen: [JSONValue] = []
        for chunk in stride(from: 0, to: bytes.count, by: 3) {
            bytes[chunk..<min(chunk + 3, bytes.count)].withUnsafeBytes { reader.append($0) }
            while let frame = try reader.next() { seen.append(frame) }
        }
        #expect(seen == [["type": "run", "job": 1], ["type": "done", "job": 1]])
    }
}

@Suite("Task ids")
struct TaskIDTests {
    @Test("ids are lowercase UUID version 4 strings and do not repeat")
    func shape() throws {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = TaskID.make()
            let parsed = try #require(UUID(uuidString: id))
            #expect(parsed.uuidString.lowercased() == id)
            let characters = Array(id)
            #expect(characters[14] == "4")
            #expect("89ab".contains(characters[19]))
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }
}

import Foundation
import Testing
@testable import TaskQ

@Suite("The pool protocol's frames")
struct RunFrameTests {
    /// The frame `bytes` holds, read as a child or worker reads it.
    static func read(_ bytes: [UInt8]) throws -> JSONValue {
        var reader = FrameReader()
        bytes.withUnsafeBytes { reader.append($0) }
        let frame = try #require(try reader.next())
        #expect(try reader.next() == nil)
        return frame
    }

    @Test("a run frame written by the byte writer reads back as the ToChild.run it was written from")
    func readsBack() throws {
        var message = TaskMessage.make(name: "tasks.\"echo\"", id: "id-1", args: [2, "x\"y\n", .null, .array([1.5])],
                                       kwargs: ["k": .object(["n": 1])], queue: "celery", retries: 3,
                                       rootID: "root-1", origin: "gen1@h")
        message.headers["parent_id"] = "parent-1"
        let bytes = ToChild.RunRequest.encode(job: 42, message: message, softTimeLimit: 2.5)
        let expected = ToChild.RunRequest(job: 42, id: "id-1", task: "tasks.\"echo\"", args: [2, "x\"y\n", .null, .array([1.5])],
                                          kwargs: ["k": ["n": 1]], retries: 3, rootID: "root-1", parentID: "parent-1",
                                          softTimeLimit: 2.5)
        #expect(try ToChild(frame: Self.read(bytes)) == .run(expected))
        #expect(try Self.read(bytes) == ToChild.run(expected).frame, "the byte writer and the typed frame agree")
        let bare = TaskMessage.make(name: "tasks.add", id: "id-2", args: [], kwargs: [:], queue: "celery", origin: "gen1@h")
        let second = try ToChild(frame: Self.read(ToChild.RunRequest.encode(job: 1, message: bare, softTimeLimit: nil)))
        #expect(second == .run(.init(job: 1, id: "id-2", task: "tasks.add", args: [], kwargs: [:], retries: 0,
                                     rootID: "id-2", parentID: nil, softTimeLimit: nil)))
    }

    @Test("every frame to and from a child reads back as itself", arguments: [
        ToChild.drop(job: 7), .cancel(job: 8), .shutdown,
        .run(.init(job: 3, id: "a", task: "t", args: [1], kwargs: [:], retries: 1, rootID: nil, parentID: "p", softTimeLimit: nil)),
    ])
    func toChildRoundTrip(message: ToChild) throws {
        #expect(try ToChild(frame: Self.read(message.encoded)) == message)
    }

    @Test("hello and done frames read back as themselves, for every outcome")
    func fromChildRoundTrip() throws {
        var options = WorkerTaskOptions()
        options.acksLate = true
        options.rateLimit = "10/s"
        options.timeLimit = 30
        options.maxRetries = nil
        let failure = ExceptionInfo(type: "DemoError", message: "boom", module: "tasks")
        let messages: [FromChild] = [
            .hello(pid: 123, app: "tasks", tasks: [.init(name: "tasks.add", options: options), .init(name: "tasks.mul", options: .init())]),
            .done(job: 1, outcome: .success(result: ["x": 1])),
            .done(job: 2, outcome: .failure(exception: failure, traceback: "Traceback ...")),
            .done(job: 3, outcome: .retry(countdown: 1.5, exception: failure, traceback: nil)),
            .done(job: 4, outcome: .dropped),
        ]
        for message in messages { #expect(try FromChild(frame: Self.read(message.encoded)) == message) }
    }

    @Test("frames of no known type, or without their job, are refused; a done frame without details is a failure")
    func badFrames() throws {
        #expect(throws: ProtocolError.self) { try ToChild(frame: ["type": "explode", "job": 1]) }
        #expect(throws: ProtocolError.self) { try ToChild(frame: ["type": "cancel"]) }
        #expect(throws: ProtocolError.self) { try ToChild(frame: ["type": "run", "task": "t"]) }
        #expect(throws: ProtocolError.self) { try FromChild(frame: ["type": "done"]) }
        #expect(throws: ProtocolError.self) { try FromChild(frame: ["job": 1]) }
        guard case .done(1, .failure(let exception, nil)) = try FromChild(frame: ["type": "done", "job": 1, "outcome": "weird"]) else {
            Issue.record("a done frame with an unknown outcome should be a failure")
            return
        }
        #expect(exception.type == "Exception")
        guard case .done(2, .retry(let countdown, _, _)) = try FromChild(frame: ["type": "done", "job": 2, "outcome": "retry", "countdown": .double(-.infinity)]) else {
            Issue.record("a retry frame should stay a retry")
            return
        }
        #expect(countdown == 0)
        #expect(try ToChild(frame: ["type": "run", "job": 1, "task": "t", "soft_time_limit": .double(.infinity)])
            == .run(.init(job: 1, id: "", task: "t", args: [], kwargs: [:], retries: 0, rootID: nil, parentID: nil,
                          softTimeLimit: TimeLimitRange.longest)))
    }

    @Test("task options survive the hello frame, and the keys both ends use are the ones it carries")
    func workerTaskOptions() {
        let options = WorkerTaskOptions(TaskOptions(maxRetries: 5, rateLimit: "3/m", globalRateLimit: "9/s", timeLimit: .seconds(8),
                                                    softTimeLimit: .seconds(4), acksLate: false, rejectOnWorkerLost: true,
                                                    queue: "emails", ignoreResult: true))
        #expect(WorkerTaskOptions(json: options.json) == options)
        #expect(options.json == ["maxRetries": 5, "rateLimit": "3/m", "globalRateLimit": "9/s", "timeLimit": 8.0, "softTimeLimit": 4.0,
                                 "acksLate": false, "rejectOnWorkerLost": true, "queue": "emails", "ignoreResult": true])
        #expect(WorkerTaskOptions(json: ["maxRetries": "x", "acksLate": 1]) == WorkerTaskOptions())
    }
}

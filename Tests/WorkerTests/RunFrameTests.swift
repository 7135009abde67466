import Foundation
import Testing
@testable import TaskQ
@testable import TaskQWorker

@Suite("Run frames")
struct RunFrameTests {
    @Test("a run frame reads back as the job, arguments and limits it was written from")
    func readsBack() throws {
        var message = TaskMessage.make(name: "tasks.\"echo\"", id: "id-1", args: [2, "x\"y\n", .null, .array([1.5])],
                                       kwargs: ["k": .object(["n": 1])], queue: "celery", retries: 3,
                                       rootID: "root-1", origin: "gen1@h")
        message.headers["parent_id"] = "parent-1"
        var reader = FrameReader()
        RunFrame.encode(job: 42, message: message, softTimeLimit: 2.5).withUnsafeBytes { reader.append($0) }
        let frame = try #require(try reader.next())
        #expect(frame == [
            "type": "run", "job": 42, "id": "id-1", "task": "tasks.\"echo\"",
            "args": [2, "x\"y\n", .null, .array([1.5])], "kwargs": ["k": ["n": 1]], "retries": 3,
            "root_id": "root-1", "parent_id": "parent-1", "soft_time_limit": 2.5,
        ])
        var plain = FrameReader()
        let bare = TaskMessage.make(name: "tasks.add", id: "id-2", args: [], kwargs: [:], queue: "celery", origin: "gen1@h")
        RunFrame.encode(job: 1, message: bare, softTimeLimit: nil).withUnsafeBytes { plain.append($0) }
        let second = try #require(try plain.next())
        #expect(second["soft_time_limit"] == .null)
        #expect(second["parent_id"] == .null)
        #expect(second["root_id"] == "id-2")
        #expect(try plain.next() == nil)
    }
}

import Testing
@testable import TaskQ

@Suite("Task history fields")
struct TaskHistoryFieldTests {
    @Test("the hash's field names are the ones workers and monitors already store and read")
    func names() {
        let stored = ["uuid", "name", "state", "worker", "timestamp", "received", "sent", "started", "rejected", "succeeded",
                      "failed", "retried", "revoked", "args", "kwargs", "args_json", "kwargs_json", "retries", "root_id",
                      "parent_id", "eta", "expires", "routing_key", "queue", "exchange", "result", "runtime", "exception",
                      "traceback"]
        #expect(TaskHistoryField.allCases.map(\.rawValue) == stored)
        #expect(TaskHistoryField(rawValue: "args_json") == .argsJSON)
        #expect(TaskHistoryField.rootID.rawValue == "root_id" && TaskHistoryField.parentID.rawValue == "parent_id")
        #expect(TaskHistoryField.routingKey.rawValue == "routing_key" && TaskHistoryField.kwargsJSON.rawValue == "kwargs_json")
    }
}

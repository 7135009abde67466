import Testing
@testable import TaskQ
@testable import TaskQWorker

@Suite("Worker writes merged per round trip")
struct WriteMergingTests {
    @Test("acks and result stores of one round trip become one script call each, where the first stood")
    func merging() throws {
        let merged = RedisWriter.merged([
            .ack(tag: "a"),
            .command(RedisCommand("PUBLISH", "x", "y")),
            .storeResult(key: "celery-task-meta-1", json: Array("{}".utf8), ttl: 60, ackTag: "t1"),
            .ack(tag: "b"),
            .storeResult(key: "celery-task-meta-2", json: Array("[]".utf8), ttl: 60, ackTag: ""),
        ])
        #expect(merged.count == 3)
        guard case .script(let ack, let ackKeys, let tags) = merged[0] else { Issue.record("first should be the acks"); return }
        #expect(ack.source == BrokerScripts.ack.source)
        #expect(ackKeys == BrokerScripts.bookkeeping)
        #expect(tags == [Array("a".utf8), Array("b".utf8)])
        guard case .command(let publish) = merged[1] else { Issue.record("the command keeps its place"); return }
        #expect(publish.name == "PUBLISH")
        guard case .script(let store, let keys, let arguments) = merged[2] else { Issue.record("last should be the stores"); return }
        #expect(store.source == BrokerScripts.storeResults.source)
        #expect(keys == BrokerScripts.bookkeeping + ["celery-task-meta-1", "celery-task-meta-2"])
        #expect(arguments == ["60", "{}", "t1", "[]", ""].map { Array($0.utf8) })
    }
}

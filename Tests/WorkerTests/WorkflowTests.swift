import Foundation
import Testing
@testable import TaskQ
import TaskQTestSupport

/// The client's typed handles on the example app's tasks (`Examples/tasks`).
struct WorkflowTasks {
    let app: App
    let add: TaskDefinition<Int, Int, Int>
    let mul: TaskDefinition<Int, Int, Int>
    let xsum: TaskDefinition<[Int], Int>
    let fail: TaskDefinition<String, Int>
    let sleep: TaskDefinition<Double, Double>
    let recordError: TaskDefinition<String, String>
    let replaceWithMul: TaskDefinition<Int, Int>
    let replaceWithChain: TaskDefinition<Int, Int>
    let replaceWithGroup: TaskDefinition<Int, [Int]>
    let addToChord: TaskDefinition<Int, Int>

    init(url: RedisURL) {
        app = App("tests", broker: url.unmasked)
        add = app.remoteTask("tasks.add", arguments: Int.self, Int.self, returns: Int.self)
        mul = app.remoteTask("tasks.mul", arguments: Int.self, Int.self, returns: Int.self)
        xsum = app.remoteTask("tasks.xsum", arguments: [Int].self, returns: Int.self)
        fail = app.remoteTask("tasks.fail", arguments: String.self, returns: Int.self)
        sleep = app.remoteTask("tasks.sleep", arguments: Double.self, returns: Double.self)
        recordError = app.remoteTask("tasks.record_error", arguments: String.self, returns: String.self)
        replaceWithMul = app.remoteTask("tasks.replace_with_mul", arguments: Int.self, returns: Int.self)
        replaceWithChain = app.remoteTask("tasks.replace_with_chain", arguments: Int.self, returns: Int.self)
        replaceWithGroup = app.remoteTask("tasks.replace_with_group", arguments: Int.self, returns: [Int].self)
        addToChord = app.remoteTask("tasks.add_to_chord", arguments: Int.self, returns: Int.self)
    }
}

@Suite("Workflows built in Swift, run by a real worker (needs Redis and child processes)", .serialized)
struct WorkflowTests {
    private let wait = Duration.seconds(60)

    private func start() throws -> (WorkflowTasks, WorkerProcess) {
        let url = try TestRedis.freshDatabase()
        return (WorkflowTasks(url: url), try WorkerProcess(url: url, arguments: ["-c", "4"]))
    }

    @Test("a chain of three: add.s(2,2) | mul.s(4) | add.s(1) is 17, and parent walks it back")
    func chainOfThree() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let result = try await (t.add.s(2, 2) | t.mul.s(4) | t.add.s(1)).delay()
        #expect(try await result.get(timeout: wait) == 17)
        guard case .task(let middle)? = result.parent, case .task(let first)? = middle.parent else {
            Issue.record("the chain's result has no parents")
            return
        }
        #expect(try await middle.get(timeout: wait) == 16)
        #expect(try await first.get(timeout: wait) == 4)
        #expect(first.parent == nil)
        #expect(result.ancestry.map(\.id) == [middle.id, first.id])
    }

    @Test("a chain with an immutable link ignores the parent's result")
    func immutableLink() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let result = try await chain(t.add.s(2, 2), t.add.si(5, 5), t.mul.s(3)).delay()
        #expect(try await result.get(timeout: wait) == 30)
    }

    @Test("a group of 100 gives its results in member order")
    func groupOfHundred() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let sums = try await group((0..<100).map { t.add.s($0, $0) }).delay()
        #expect(sums.results.count == 100)
        #expect(try await sums.get(timeout: wait) == (0..<100).map { $0 * 2 })
        #expect(try await sums.ready())
        #expect(try await sums.successful())
        #expect(try await !sums.failed())
        #expect(try await sums.completedCount == 100)
        var seen = Set<Int>()
        for try await finished in sums.collect(timeout: wait) {
            #expect(finished.outcome.value == finished.index * 2)
            seen.insert(finished.index)
        }
        #expect(seen.count == 100)
    }

    @Test("a chord of 50 sums its header's results in the callback; its parent is the header group")
    func chordOfFifty() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let total = try await chord(group((1...50).map { t.add.s($0, 0) }), t.xsum.s()).delay()
        #expect(try await total.get(timeout: wait) == 1275)
        guard case .group(let header)? = total.parent else {
            Issue.record("the chord's result has no header group as parent")
            return
        }
        #expect(header.results.count == 50)
        #expect(try await header.get(timeout: wait) == Array(1...50).map(JSONValue.int))
    }

    @Test("chunks: 1,000 items in 10 chunks of 100, each a celery.starmap on the Swift worker")
    func chunksOfThousand() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let parts = try await t.add.chunks((0..<1000).map { ($0, $0) }, size: 100).delay()
        let lists = try await parts.get(timeout: wait)
        #expect(lists.count == 10)
        #expect(lists.allSatisfy { $0.count == 100 })
        #expect(lists.flatMap { $0 } == (0..<1000).map { $0 * 2 })
        #expect(worker.log.contains("Task celery.starmap["))
    }

    @Test("map and starmap run the task over their items in one worker task")
    func mapAndStarmap() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        #expect(try await t.xsum.map([[1, 2], [3], []]).delay().get(timeout: wait) == [3, 3, 0])
        #expect(try await t.add.starmap([(1, 2), (3, 4)]).delay().get(timeout: wait) == [3, 7])
        let unknown = try await t.app.signature("celery.map", kwargs: ["task": ["task": "tasks.nope", "args": [], "kwargs": [:], "options": [:]], "it": [1]]).delay()
        let outcome = try await unknown.get(timeout: wait, propagate: false)
        #expect(outcome.failure?.type == "NotRegistered")
    }

    @Test("a failing middle link stops the chain: later links never run and the chain's result is the failure")
    func failingMiddleLink() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let result = try await (t.add.s(1, 1) | t.fail.si("in the middle") | t.add.s(3)).delay()
        let outcome = try await result.get(timeout: wait, propagate: false)
        #expect(outcome.failure?.type == "DemoError")
        #expect(outcome.failure?.message == "in the middle")
        #expect(try await result.state == .failure)
        guard case .task(let middle)? = result.parent else {
            Issue.record("no middle step")
            return
        }
        #expect(try await middle.state == .failure)
        try await Task.sleep(for: .milliseconds(500))
        #expect(!worker.log.contains("Task tasks.add[\(result.id)] received"), "the last link must not run")
    }

    @Test("a chord whose header task fails: the callback is FAILURE ChordError naming that task")
    func chordWithFailingHeader() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let total = try await chord([t.add.s(1, 1), t.fail.si("bad header")], t.xsum.s()).delay()
        let outcome = try await total.get(timeout: wait, propagate: false)
        guard case .group(let header)? = total.parent else {
            Issue.record("no header group")
            return
        }
        #expect(outcome.failure?.type == "ChordError")
        #expect(outcome.failure?.message.contains("Dependency \(header.results[1].id) raised DemoError") == true)
        #expect(!worker.log.contains("Task tasks.xsum[\(total.id)] received"))
    }

    @Test("errbacks run with the failed task's id, on a task and on every step of a chain")
    func errbacks() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let errbackID = TaskID.make()
        let failed = try await t.fail.si("oops").linkError(t.recordError.s().options(taskID: errbackID)).delay()
        let errback = t.app.asyncResult(errbackID, as: String.self)
        #expect(try await errback.get(timeout: wait) == "errback for \(failed.id)")

        let chainErrbackID = TaskID.make()
        let steps = (t.add.s(1, 1) | t.fail.si("second")).linkError(t.recordError.s().options(taskID: chainErrbackID))
        let chained = try await steps.delay()
        #expect(try await t.app.asyncResult(chainErrbackID, as: String.self).get(timeout: wait) == "errback for \(chained.id)")
    }

    @Test("GroupResult.save in one process is restored in another")
    func saveAndRestore() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let sums = try await group((0..<5).map { t.add.s($0, 1) }).delay()
        #expect(try await sums.get(timeout: wait) == [1, 2, 3, 4, 5])
        try await sums.save()
        let restore = Process()
        restore.executableURL = URL(fileURLWithPath: try WorkerProcess.executable("workflows"))
        restore.arguments = ["restore", sums.id]
        restore.environment = ProcessInfo.processInfo.environment.merging(["TASKQ_BROKER_URL": t.app.brokerURLString]) { $1 }
        let output = Pipe()
        restore.standardOutput = output
        try restore.run()
        restore.waitUntilExit()
        let printed = try JSONValue.parse(Array(output.fileHandleForReading.readDataToEndOfFile()))
        #expect(restore.terminationStatus == 0)
        #expect(printed["ids"] == .array(sums.results.map { .string($0.id) }))
        #expect(printed["result"] == [1, 2, 3, 4, 5])
        let here = try await t.app.restoreGroup(sums.id, as: Int.self)
        #expect(try await here?.get(timeout: wait) == [1, 2, 3, 4, 5])
        #expect(try await t.app.restoreGroup("no-such-group") == nil)
    }

    @Test("replace inside a running task: the replacement runs under its id and keeps its place")
    func replaceInsideATask() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let inChain = try await chain(t.add.s(1, 1), t.replaceWithMul.s(), t.add.s(5)).delay()
        #expect(try await inChain.get(timeout: wait) == 25)
        guard case .task(let replaced)? = inChain.parent else {
            Issue.record("no replaced step")
            return
        }
        #expect(try await replaced.get(timeout: wait) == 20)
        #expect(worker.log.contains("Task tasks.replace_with_mul[\(replaced.id)] replaced by a new task"))
        #expect(worker.log.contains("Task tasks.mul[\(replaced.id)] succeeded"))

        #expect(try await t.replaceWithChain.delay(3).get(timeout: wait) == 8)
        #expect(try await t.replaceWithGroup.delay(4).get(timeout: wait) == [0, 2, 4, 6])
        let inChord = try await chord([t.replaceWithMul.s(1), t.add.s(2, 2)], t.xsum.s()).delay()
        #expect(try await inChord.get(timeout: wait) == 14)
        let chainInChord = try await chord([t.replaceWithChain.s(1), t.add.s(2, 2)], t.xsum.s()).delay()
        #expect(try await chainInChord.get(timeout: wait) == 8)
    }

    @Test("addToChord inside a header task: the callback waits for the added task and gets its result")
    func addToChord() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let total = try await chord([t.addToChord.s(1), t.addToChord.s(2)], t.xsum.s()).delay()
        #expect(try await total.get(timeout: wait) == 1 + 101 + 2 + 102)
    }

    @Test("revoking a group revokes every member")
    func revokeGroup() async throws {
        let (t, worker) = try start()
        defer { worker.stop() }
        let later = try await group((0..<3).map { _ in t.sleep.s(0.1).options(countdown: .seconds(30)) }).delay()
        try await later.revoke()
        #expect(try await later.states() == [.revoked, .revoked, .revoked])
        #expect(try await later.failed())
    }
}

import Testing
@testable import TaskQ

/// Workflows built wrong are refused before anything is sent, with a message naming the step.
@Suite("Workflow type checks")
struct CanvasTypeCheckTests {
    let app = App("typecheck", broker: "redis://127.0.0.1:1/0")
    var add: TaskDefinition<Int, Int, Int> { app.remoteTask("tasks.add", arguments: Int.self, Int.self, returns: Int.self) }
    var shout: TaskDefinition<String, String> { app.remoteTask("tasks.shout", arguments: String.self, returns: String.self) }
    var xsum: TaskDefinition<[Int], Int> { app.remoteTask("tasks.xsum", arguments: [Int].self, returns: Int.self) }

    private func refusal(_ send: () async throws -> Void) async -> String? {
        do {
            try await send()
            return nil
        } catch let error as TaskQError where error.isWorkflowError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("a partial whose first argument is not the parent's output type is refused, naming both")
    func mismatchedPartial() async {
        let message = await refusal { _ = try await (add.s(1, 1) | shout.s()).delay() }
        #expect(message?.contains("step 2 (tasks.shout) takes String as its first argument, but step 1 (tasks.add) returns Int") == true)
    }

    @Test("a mutable signature with every argument given after another step is refused (use .si)")
    func oneTooMany() async {
        let message = await refusal { _ = try await chain(add.s(1, 1), add.s(2, 2)).delay() }
        #expect(message?.contains("one too many: use .si(...)") == true)
        #expect(await refusal { _ = try await chain(add.s(1, 1), add.si(2, 2)).delay() }?.contains("one too many") != true)
    }

    @Test("a partial given the wrong arguments is refused")
    func wrongPartialArguments() async {
        let message = await refusal { _ = try await add.s("two").delay() }
        #expect(message?.contains("tasks.add takes (Int, Int); a partial signature gives all but the first, (Int), but was given (String)") == true)
    }

    @Test("a chord's callback must take a list of the header's outputs")
    func chordCallbackType() async {
        let message = await refusal { _ = try await chord([add.s(1, 1)], shout.s()).delay() }
        #expect(message?.contains("takes String as its first argument, but the chord's header returns Array<Int>") == true)
        #expect(await refusal { _ = try await chord([add.s(1, 1)], xsum.s()).delay() }?.contains("takes") != true)
    }

    @Test("map needs a one-argument task of the items' type; chunks a positive size")
    func mapAndChunks() async {
        #expect(await refusal { _ = try await add.map([1, 2]).delay() }?.contains("tasks.add.map needs a task of one argument") == true)
        #expect(await refusal { _ = try await add.chunks([(1, 1)], size: 0).delay() }?.contains("chunk size must be at least 1") == true)
    }

    @Test("signatures by name are not checked: their types are not known here")
    func untypedPassesChecks() {
        let steps = add.s(1, 1) | app.signature("pytasks.anything")
        #expect(steps.anyCanvas.problems.isEmpty)
        let typedAfterUntyped = app.signature("pytasks.anything") | shout.s()
        #expect(typedAfterUntyped.anyCanvas.problems.isEmpty)
    }
}

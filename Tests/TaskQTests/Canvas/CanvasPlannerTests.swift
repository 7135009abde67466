import Testing
@testable import TaskQ

/// The messages a canvas starts with, in the shapes Celery 5.7 writes (captured:
/// ../shared/docs/celery-wire.md §9); the interop tests compare them with a live Celery client.
@Suite("Canvas planning")
struct CanvasPlannerTests {
    let app = App("planner", broker: "redis://127.0.0.1:1/0")
    var add: TaskDefinition<Int, Int, Int> { app.remoteTask("tasks.add", arguments: Int.self, Int.self, returns: Int.self) }
    var mul: TaskDefinition<Int, Int, Int> { app.remoteTask("tasks.mul", arguments: Int.self, Int.self, returns: Int.self) }
    var xsum: TaskDefinition<[Int], Int> { app.remoteTask("tasks.xsum", arguments: [Int].self, returns: Int.self) }

    private func plan(_ canvas: some Canvas) -> (CanvasPlanner, ResultNode) {
        var planner = CanvasPlanner(settings: app.canvasSettings)
        let result = planner.apply(canvas.anyCanvas.dict)
        return (planner, result)
    }

    @Test("a chain sends its first step with the rest in embed.chain, reversed, each with its id")
    func chainMessages() throws {
        let (planner, result) = plan(add.s(2, 2) | mul.s(4) | add.s(1))
        #expect(planner.publishes.count == 1)
        let first = planner.publishes[0].message
        #expect(first.name == "tasks.add" && first.args == [2, 2])
        let rest = try #require(first.embed["chain"]?.arrayValue)
        #expect(rest.map { $0["task"]?.stringValue } == ["tasks.add", "tasks.mul"])
        #expect(rest.map { $0["args"] } == [[1], [4]])
        #expect(rest[0]["options"]?["task_id"]?.stringValue == result.id)
        #expect(rest[1]["options"]?["task_id"]?.stringValue == result.parent?.id)
        #expect(result.parent?.parent?.id == first.id)
        #expect(first.rootID == first.id && first.parentID == nil)
        #expect(first.properties["reply_to"]?.stringValue == App.replyTo)
    }

    @Test("chains of chains flatten; a group followed by a step becomes a chord")
    func upgrades() throws {
        let (flat, _) = plan(chain(add.s(1, 1) | mul.s(2), add.s(3) | mul.s(4)))
        #expect(flat.publishes[0].message.embed["chain"]?.arrayValue?.count == 3)
        let (upgraded, result) = plan(chain(group(add.s(1, 1), add.s(2, 2)), xsum.s()))
        #expect(upgraded.publishes.count == 2)
        #expect(upgraded.chordSizes.map(\.size) == [2])
        let header = upgraded.publishes[0].message
        #expect(header.groupID == upgraded.chordSizes[0].group)
        #expect(header.headers["group_index"] == 0 && upgraded.publishes[1].message.headers["group_index"] == 1)
        #expect(header.embed["chord"]?["task"]?.stringValue == "tasks.xsum")
        #expect(header.embed["chord"]?["options"]?["group_id"]?.stringValue == header.groupID)
        #expect(header.embed["chord"]?["options"]?["task_id"]?.stringValue == result.id)
        #expect(result.parent?.id == header.groupID)
    }

    @Test("a chord followed by a step: the step joins the chord's body as a chain")
    func chordThen() throws {
        let (planner, result) = plan(chord([add.s(1, 1), add.s(2, 2)], xsum.s()) | mul.s(10))
        let body = try #require(planner.publishes[0].message.embed["chord"])
        #expect(CanvasDict.kind(of: body) == .chain)
        let steps = CanvasDict.tasks(of: body)
        #expect(steps.map { $0["task"]?.stringValue } == ["tasks.xsum", "tasks.mul"])
        #expect(steps[1]["options"]?["task_id"]?.stringValue == result.id)
        #expect(steps[1]["options"]?["group_id"]?.stringValue == planner.chordSizes[0].group)
        #expect(steps[0]["options"]?["group_id"] == nil)
    }

    @Test("a chain inside a group: its first task has no group, its last carries the group and index")
    func chainInGroup() throws {
        let (planner, result) = plan(group(any: [add.s(1, 1) | mul.s(2), add.s(3, 3)]))
        guard case .group(let id, let members, _) = result else {
            Issue.record("not a group result")
            return
        }
        let first = planner.publishes[0].message
        #expect(first.groupID == nil)
        let last = try #require(first.embed["chain"]?[0])
        #expect(last["options"]?["group_id"]?.stringValue == id)
        #expect(last["options"]?["group_index"] == 0)
        #expect(members[0].id == last["options"]?["task_id"]?.stringValue)
        #expect(planner.publishes[1].message.groupID == id && planner.publishes[1].message.headers["group_index"] == 1)
    }

    @Test("chunks are a group of celery.starmap tasks; map and starmap one message each")
    func chunksMapStarmap() throws {
        let (chunks, _) = plan(add.chunks((0..<10).map { ($0, $0) }, size: 3).group())
        #expect(chunks.publishes.map { $0.message.name } == Array(repeating: "celery.starmap", count: 4))
        #expect(chunks.publishes[3].message.kwargs["it"] == [[9, 9]])
        #expect(chunks.publishes[0].message.kwargs["task"] == CanvasDict.task("tasks.add", args: [], kwargs: [:], options: [:], immutable: false))
        let (map, _) = plan(xsum.map([[1, 2], [3]]))
        #expect(map.publishes.count == 1 && map.publishes[0].message.name == "celery.map")
        #expect(map.publishes[0].message.kwargs["it"] == [[1, 2], [3]])
    }

    @Test("options and links land where Celery puts them")
    func optionsAndLinks() throws {
        let (planner, _) = plan(add.s(1, 1).options(queue: "q2", countdown: .seconds(10), priority: 5).link(mul.s(10)))
        let message = planner.publishes[0].message
        #expect(planner.publishes[0].list == "q2\u{06}\u{16}3")
        #expect(message.priority == 5 && message.eta != nil)
        #expect(message.embed["callbacks"]?[0]?["task"]?.stringValue == "tasks.mul")
        #expect(message.embed["errbacks"] == .null)
    }

    @Test("a group result's as_tuple reads back as the same tree")
    func resultTuples() {
        let node = ResultNode.group(id: "g", members: [.task(id: "a", parent: .task(id: "p", parent: nil)), .task(id: "b", parent: nil)], parent: nil)
        #expect(node.asTuple == [["g", .null], [[["a", [["p", .null], .null]], .null], [["b", .null], .null]]])
        #expect(ResultNode(tuple: node.asTuple) == node)
    }
}

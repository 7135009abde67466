import TaskQ

/// The workflows the interop tests run from Swift against Python and Swift workers, each
/// printing JSON for the test to check (see Tests/Interop/test_workflows_*.py).
struct Scenarios {
    let tasks: ExampleTasks
    let arguments: [String]

    private func option(_ name: String) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    private var queue: String { option("--queue") ?? "celery" }
    private var timeout: Duration { .seconds(Int(option("--timeout") ?? "60") ?? 60) }

    func run() async throws -> JSONValue {
        let (app, add, mul) = (tasks.app, tasks.add, tasks.mul)
        switch arguments.first {
        case "chain":
            let result = try await (add.s(2, 2) | mul.s(4) | add.s(1)).applyAsync(SendOptions(queue: queue))
            return ["id": .string(result.id), "result": .int(try await result.get(timeout: timeout)),
                    "parents": .array(result.ancestry.map { .string($0.id) })]
        case "chord":
            let callback = app.signature(option("--callback") ?? "tasks.xsum").options(queue: queue)
            let header = group((1...10).map { add.s($0, $0).options(queue: queue) })
            let result = try await chord(header, callback).delay()
            return ["id": .string(result.id), "result": try await result.get(timeout: timeout)]
        case "mixed":
            let python = option("--py-queue") ?? "pyq", swift = option("--swift-queue") ?? "swiftq"
            let steps = add.s(1, 1).options(queue: python) | mul.s(3).options(queue: swift)
                | add.s(4).options(queue: python) | mul.s(2).options(queue: swift)
            let result = try await steps.delay()
            return ["id": .string(result.id), "result": .int(try await result.get(timeout: timeout)),
                    "parents": .array(result.ancestry.map { .string($0.id) })]
        case "save-group":
            let sums = try await group((0..<5).map { add.s($0, 1) }).applyAsync(SendOptions(queue: queue))
            let values = try await sums.get(timeout: timeout)
            try await sums.save()
            return ["id": .string(sums.id), "ids": .array(sums.results.map { .string($0.id) }), "result": try JSONValue(encoding: values)]
        case "restore":
            guard arguments.count > 1, let restored = try await app.restoreGroup(arguments[1]) else {
                throw TaskQError.configuration("no saved group \(arguments.dropFirst().first ?? "(no id given)")")
            }
            return ["ids": .array(restored.results.map { .string($0.id) }), "result": .array(try await restored.get(timeout: timeout))]
        case "wire":
            return try await wire(arguments.count > 1 ? arguments[1] : "")
        default:
            throw TaskQError.configuration("unknown scenario '\(arguments.first ?? "")': guide, chain, chord, mixed, save-group, restore ID, wire NAME")
        }
    }

    /// Sends one workflow to `--queue` (which no worker consumes) for the test to compare
    /// with what Celery's client sends for the same workflow.
    private func wire(_ name: String) async throws -> JSONValue {
        let (add, mul, xsum) = (tasks.add, tasks.mul, tasks.xsum)
        let options = SendOptions(queue: queue)
        let id: String
        switch name {
        case "chain3": id = try await (add.s(2, 2) | mul.s(4) | add.s(1)).applyAsync(options).id
        case "chain_immutable": id = try await chain(add.s(2, 2), add.si(5, 5), mul.s(3)).applyAsync(options).id
        case "group3": id = try await group((0..<3).map { add.s($0, $0) }).applyAsync(options).id
        case "chord3": id = try await chord(group((0..<3).map { add.s($0, $0).options(queue: queue) }), xsum.s()).applyAsync(options).id
        case "chunks": id = try await add.chunks((0..<10).map { ($0, $0) }, size: 3).applyAsync(options).id
        case "map": id = try await xsum.map([[1, 2], [3]]).applyAsync(options).id
        case "starmap": id = try await add.starmap([(1, 2), (3, 4)]).applyAsync(options).id
        case "links": id = try await add.s(1, 1).link(mul.s(10)).linkError(tasks.recordError.s()).applyAsync(options).id
        case "chain_group": id = try await (add.s(1, 1) | group(mul.s(2), mul.s(3))).applyAsync(options).id
        case "chain_chord": id = try await chain(add.s(1, 1), group(mul.s(2), mul.s(3)), xsum.s()).applyAsync(options).id
        case "chord_then": id = try await (chord(group(add.s(1, 1).options(queue: queue), add.s(2, 2).options(queue: queue)), xsum.s()) | mul.s(10)).applyAsync(options).id
        case "group_of_chain": id = try await group(any: [add.s(1, 1) | mul.s(2), add.s(3, 3)]).applyAsync(options).id
        default: throw TaskQError.configuration("unknown wire workflow '\(name)'")
        }
        return ["id": .string(id)]
    }
}

import TaskQ

// The code of docs/workflows.md: every ```swift block there appears here, line for line
// (Tests/TaskQTests/WorkflowGuideTests.swift holds them equal), and `workflows guide`
// runs it all against a worker.

/// Runs every example of the guide and returns what each printed line would show.
func runGuide(_ tasks: ExampleTasks) async throws -> [String: JSONValue] {
    let app = tasks.app
    let (add, mul, xsum, fail, recordError) = (tasks.add, tasks.mul, tasks.xsum, tasks.fail, tasks.recordError)
    var seen: [String: JSONValue] = [:]

    // Signatures
    let sum = add.s(2, 3)                    // every argument given
    let ignoring = add.si(5, 5)              // ignores its parent's result
    let timesTen = mul.s(10)                 // partial: the parent's result is the first argument
    let later = add.s(2, 3).options(queue: "celery", countdown: .seconds(1), priority: 5)
    let guarded = fail.si("oops").linkError(recordError.s())
    let byName = app.signature("tasks.add", args: [2, 3])   // a task this app does not define
    seen["signature"] = .int(try await sum.delay().get(timeout: .seconds(30)))
    seen["later"] = .int(try await later.delay().get(timeout: .seconds(30)))
    seen["byName"] = try await byName.delay().get(timeout: .seconds(30))
    _ = (ignoring, timesTen, guarded)

    // Chains
    let chained = try await (add.s(2, 2) | mul.s(4) | add.s(1)).delay()
    let seventeen = try await chained.get(timeout: .seconds(30))   // (2 + 2) * 4 + 1
    if case .task(let previous)? = chained.parent {
        print("the step before returned", try await previous.get(timeout: .seconds(30)))   // 16
    }
    let restarted = try await chain(add.s(2, 2), add.si(5, 5), mul.s(3)).delay()
    seen["chain"] = .int(seventeen)
    seen["immutable"] = .int(try await restarted.get(timeout: .seconds(30)))       // 30

    // Groups
    let sums = try await group((0..<10).map { add.s($0, $0) }).delay()
    let doubled = try await sums.get(timeout: .seconds(30))                        // [0, 2, 4, ..., 18]
    for try await finished in sums.collect(timeout: .seconds(30)) {
        print("member", finished.index, "finished:", finished.outcome.value ?? -1)
    }
    try await sums.save()
    let again = try await app.restoreGroup(sums.id, as: Int.self)
    seen["group"] = try JSONValue(encoding: doubled)
    seen["restored"] = .int(again?.results.count ?? 0)

    // Chords
    let total = try await chord(group((1...50).map { add.s($0, 0) }), xsum.s()).delay()
    seen["chord"] = .int(try await total.get(timeout: .seconds(30)))              // 1275

    // Chunks, map and starmap
    let parts = try await add.chunks((0..<100).map { ($0, $0) }, size: 10).delay()
    let chunked = try await parts.get(timeout: .seconds(30))                       // 10 lists of 10 sums
    let mapped = try await xsum.map([[1, 2], [3]]).delay().get(timeout: .seconds(30))           // [3, 3]
    let starmapped = try await add.starmap([(1, 2), (3, 4)]).delay().get(timeout: .seconds(30))  // [3, 7]
    seen["chunks"] = .int(chunked.count)
    seen["map"] = try JSONValue(encoding: mapped)
    seen["starmap"] = try JSONValue(encoding: starmapped)

    // Failures
    let broken = try await (add.s(1, 1) | fail.si("in the middle") | add.s(3)).delay()
    switch try await broken.get(timeout: .seconds(30), propagate: false) {
    case .success(let value): print("unexpected:", value)
    case .failure(let failure): print(failure.type, failure.message)            // DemoError in the middle
    }
    seen["failure"] = .string(try await broken.state.rawValue)
    return seen
}

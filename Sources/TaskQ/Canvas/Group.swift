/// Tasks run at once, their results read back in order (Celery's `group`).
///
/// ```swift
/// let sums = try await group((0..<100).map { add.s($0, $0) }).delay()
/// try await sums.get()    // [0, 2, 4, ...]
/// ```
public struct Group<Member: Codable & Sendable>: Canvas {
    public typealias Output = [Member]
    public let anyCanvas: AnyCanvas

    init(members: [AnyCanvas], app: App) {
        anyCanvas = AnyCanvas(dict: CanvasDict.group(members.map(\.dict)), app: app,
                              receivers: members.flatMap(\.receivers), output: .of([Member].self),
                              problems: members.flatMap(\.problems))
    }

    init(anyCanvas: AnyCanvas) {
        self.anyCanvas = anyCanvas
    }

    /// The members, in order.
    public var members: [JSONValue] { CanvasDict.tasks(of: anyCanvas.dict) }

    /// Sends every member.
    public func delay() async throws -> GroupResult<Member> {
        try await applyAsync()
    }

    /// Sends every member with these options (each member's own options win).
    public func applyAsync(_ options: SendOptions = SendOptions()) async throws -> GroupResult<Member> {
        var dict = anyCanvas.dict
        var members = CanvasDict.tasks(of: dict)
        for index in members.indices {
            for (key, value) in options.signatureOptions() where key != "task_id" && CanvasDict.options(of: members[index])[key] == nil {
                members[index] = CanvasDict.setting(key, value, in: members[index])
            }
        }
        dict = CanvasDict.group(members, options: CanvasDict.options(of: dict))
        if let id = options.taskID { dict = CanvasDict.setting("task_id", .string(id), in: dict) }
        let result = try await anyCanvas.app.apply(anyCanvas.with(dict: dict))
        return GroupResult(node: result, app: anyCanvas.app)
    }
}

/// A group of signatures of one output type; `get()` on its result gives `[Output]` in order.
public func group<C: Canvas>(_ members: [C]) -> Group<C.Output> {
    precondition(!members.isEmpty, "a group needs at least one member")
    return Group(members: members.map(\.anyCanvas), app: members[0].anyCanvas.app)
}

/// A group of the given signatures.
public func group<C: Canvas>(_ first: C, _ more: C...) -> Group<C.Output> {
    group([first] + more)
}

/// A group of canvases of different types; its result is JSON.
public func group(any members: [any Canvas]) -> Group<JSONValue> {
    precondition(!members.isEmpty, "a group needs at least one member")
    return Group(members: members.map(\.anyCanvas), app: members[0].anyCanvas.app)
}

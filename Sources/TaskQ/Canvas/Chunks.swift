/// One task over many argument tuples, split into chunks each run as one `celery.starmap`
/// task (Celery's `task.chunks(items, size)`); its result is one list of outputs per chunk.
///
/// ```swift
/// let parts = try await add.chunks((0..<1000).map { ($0, $0) }, size: 100).delay()
/// try await parts.get()   // 10 lists of 100 sums
/// ```
public struct Chunks<Member: Codable & Sendable>: Canvas {
    public typealias Output = [[Member]]
    public let anyCanvas: AnyCanvas
    private let task: JSONValue
    private let items: [JSONValue]
    private let size: Int

    init(task: JSONValue, items: [JSONValue], size: Int, app: App, problems: [String]) {
        self.task = task
        self.items = items
        self.size = size
        let dict = CanvasDict.task("celery.chunks", args: [], kwargs: ["task": task, "it": .array(items), "n": .int(size)],
                                   options: [:], immutable: true)
        anyCanvas = AnyCanvas(dict: dict, app: app, receivers: [.init(task: "celery.chunks", takes: .nothing)],
                              output: .of([[Member]].self), problems: problems)
    }

    /// The chunks as a group of `celery.starmap` tasks, as the client sends them.
    public func group() -> Group<[Member]> {
        let members = stride(from: 0, to: items.count, by: size).map { start in
            CanvasDict.task("celery.starmap", args: [], kwargs: ["task": task, "it": .array(Array(items[start..<min(start + size, items.count)]))],
                            options: [:], immutable: true)
        }
        return Group(anyCanvas: AnyCanvas(
            dict: CanvasDict.group(members), app: anyCanvas.app,
            receivers: members.map { _ in .init(task: "celery.starmap", takes: .nothing) },
            output: .of([[Member]].self), problems: anyCanvas.problems))
    }

    /// Sends the chunks.
    public func delay() async throws -> GroupResult<[Member]> {
        try await group().delay()
    }

    /// Sends the chunks with these options.
    public func applyAsync(_ options: SendOptions = SendOptions()) async throws -> GroupResult<[Member]> {
        try await group().applyAsync(options)
    }
}

/// A group whose results, in order, are given to one callback once all have finished
/// (Celery's `chord`); its result is the callback's.
///
/// ```swift
/// let total = try await chord(group((1...50).map { add.s($0, 0) }), xsum.s()).delay()
/// try await total.get()   // 1275
/// ```
///
/// If a header task fails, the callback is not run: it is stored FAILURE with `ChordError`
/// naming the task, and its errbacks run.
public struct Chord<Output: Codable & Sendable>: Canvas {
    public let anyCanvas: AnyCanvas

    init<Member>(header: Group<Member>, body: AnyCanvas) {
        let problems = header.anyCanvas.problems + body.problems
            + body.problems(after: header.anyCanvas.output, parentLabel: "the chord's header", position: 2)
        anyCanvas = AnyCanvas(dict: CanvasDict.chord(header: header.anyCanvas.dict, body: body.dict), app: header.anyCanvas.app,
                              receivers: header.anyCanvas.receivers, output: body.output, problems: problems)
    }

    /// Sends the header tasks; the worker that stores the last header result sends the callback.
    public func delay() async throws -> AsyncResult<Output> {
        try await applyAsync()
    }

    /// Sends the chord; `options` apply to the callback (`taskID`, `queue`, ...).
    public func applyAsync(_ options: SendOptions = SendOptions()) async throws -> AsyncResult<Output> {
        var body = CanvasDict.body(of: anyCanvas.dict) ?? .null
        for (key, value) in options.signatureOptions() { body = CanvasDict.setting(key, value, in: body) }
        let dict = CanvasDict.chord(header: CanvasDict.headerGroup(of: anyCanvas.dict), body: body)
        let result = try await anyCanvas.app.apply(anyCanvas.with(dict: dict))
        return AsyncResult(node: result, app: anyCanvas.app)
    }
}

/// A chord: `header`'s results, in order, are the first argument of `body`.
public func chord<Member, Body: Canvas>(_ header: Group<Member>, _ body: Body) -> Chord<Body.Output> {
    Chord(header: header, body: body.anyCanvas)
}

/// A chord of a list of header signatures.
public func chord<Header: Canvas, Body: Canvas>(_ header: [Header], _ body: Body) -> Chord<Body.Output> {
    Chord(header: group(header), body: body.anyCanvas)
}

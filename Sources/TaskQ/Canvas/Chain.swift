/// Tasks run one after another, each given the result of the one before (Celery's `chain`);
/// its result is the last step's. Build it with `chain(a, b, c)` or `a | b | c`.
///
/// ```swift
/// let result = try await (add.s(2, 2) | mul.s(4) | add.s(1)).delay()
/// try await result.get()   // 17
/// ```
///
/// A group followed by another step becomes a chord, and a chain of chains is one chain,
/// as in Celery.
public struct Chain<Output: Codable & Sendable>: Canvas {
    public let anyCanvas: AnyCanvas

    init(steps given: [AnyCanvas]) {
        precondition(!given.isEmpty, "a chain needs at least one step")
        let steps = given.flatMap(\.flattened)
        var problems: [String] = []
        for (index, step) in steps.enumerated() {
            problems += step.problems
            if index > 0 {
                let previous = steps[index - 1]
                problems += step.problems(after: previous.output, parentLabel: "step \(index) (\(previous.label))", position: index + 1)
            }
        }
        anyCanvas = AnyCanvas(dict: CanvasDict.chain(steps.map(\.dict)), app: steps[0].app, receivers: steps[0].receivers,
                              output: steps[steps.count - 1].output, problems: problems, chainSteps: steps)
    }

    /// The steps, in order.
    public var steps: [JSONValue] { CanvasDict.tasks(of: anyCanvas.dict) }

    /// Sends the first step; the worker sends each next one. The result is the last step's,
    /// its `parent` the one before.
    public func delay() async throws -> AsyncResult<Output> {
        try await applyAsync()
    }

    /// Sends the chain; `options` apply to every step that sets none of its own.
    public func applyAsync(_ options: SendOptions = SendOptions()) async throws -> AsyncResult<Output> {
        var dict = anyCanvas.dict
        for (key, value) in options.signatureOptions() { dict = CanvasDict.setting(key, value, in: dict) }
        let result = try await anyCanvas.app.apply(anyCanvas.with(dict: dict))
        return AsyncResult(node: result, app: anyCanvas.app)
    }

    /// Adds a callback run with the chain's final result.
    public func link(_ callback: some Canvas) -> Chain {
        Chain(anyCanvas: anyCanvas.with(dict: CanvasDict.appending(callback.anyCanvas.dict, to: "link", in: anyCanvas.dict)))
    }

    /// Adds an errback run when any step fails.
    public func linkError(_ errback: some Canvas) -> Chain {
        Chain(anyCanvas: anyCanvas.with(dict: CanvasDict.appending(errback.anyCanvas.dict, to: "link_error", in: anyCanvas.dict)))
    }

    init(anyCanvas: AnyCanvas) {
        self.anyCanvas = anyCanvas
    }
}

/// A chain of two steps; its result is the second's.
public func chain<A: Canvas, B: Canvas>(_ a: A, _ b: B) -> Chain<B.Output> {
    Chain(steps: [a.anyCanvas, b.anyCanvas])
}

/// A chain of three steps.
public func chain<A: Canvas, B: Canvas, C: Canvas>(_ a: A, _ b: B, _ c: C) -> Chain<C.Output> {
    Chain(steps: [a.anyCanvas, b.anyCanvas, c.anyCanvas])
}

/// A chain of four steps.
public func chain<A: Canvas, B: Canvas, C: Canvas, D: Canvas>(_ a: A, _ b: B, _ c: C, _ d: D) -> Chain<D.Output> {
    Chain(steps: [a.anyCanvas, b.anyCanvas, c.anyCanvas, d.anyCanvas])
}

/// A chain of five steps.
public func chain<A: Canvas, B: Canvas, C: Canvas, D: Canvas, E: Canvas>(_ a: A, _ b: B, _ c: C, _ d: D, _ e: E) -> Chain<E.Output> {
    Chain(steps: [a.anyCanvas, b.anyCanvas, c.anyCanvas, d.anyCanvas, e.anyCanvas])
}

/// A chain of any number of steps whose types are not known here; its result is JSON.
public func chain(_ steps: [any Canvas]) -> Chain<JSONValue> {
    Chain(steps: steps.map(\.anyCanvas))
}

/// `a | b`: a chain of `a` then `b` (a chain on either side is extended, not nested).
public func | <A: Canvas, B: Canvas>(a: A, b: B) -> Chain<B.Output> {
    Chain(steps: [a.anyCanvas, b.anyCanvas])
}

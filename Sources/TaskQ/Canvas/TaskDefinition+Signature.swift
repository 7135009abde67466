/// Signatures of a typed task: `add.s(2, 3)`, `add.si(2, 3)`, partials such as `mul.s(10)`,
/// and the `map` / `starmap` / `chunks` forms that run one task over many items.
extension TaskDefinition {
    /// A signature with every argument given (Celery's `add.s(2, 3)`).
    public func s(_ argument: repeat each Argument) -> Signature<Output> {
        let encoded = encode(repeat each argument)
        return signature(args: encoded.args, takes: .noMore(arity: argumentTypes.count), immutable: false, problems: encoded.problems)
    }

    /// A signature that ignores its parent's result (Celery's `add.si(2, 3)`).
    public func si(_ argument: repeat each Argument) -> Signature<Output> {
        let encoded = encode(repeat each argument)
        return signature(args: encoded.args, takes: .nothing, immutable: true, problems: encoded.problems)
    }

    /// A partial signature: every argument but the first, which the parent's result fills
    /// (`mul.s(10)` after a task returning `Int`). The types are checked when the signature
    /// is built into a workflow or sent: Swift cannot yet check a partial at compile time.
    public func s<each Given: Codable & Sendable>(_ given: repeat each Given) -> Signature<Output> {
        var args: [JSONValue] = []
        var givenTypes: [TypeTag] = []
        var problems: [String] = []
        for value in repeat each given {
            givenTypes.append(TypeTag.of(type(of: value)))
            do { args.append(try JSONValue(encoding: value)) } catch { problems.append("\(name): an argument does not encode as JSON: \(error)") }
        }
        let expected = argumentTypes
        guard !expected.isEmpty else {
            return signature(args: args, takes: .nothing, immutable: false,
                             problems: problems + ["\(name) takes no arguments, so it cannot take its parent's result: use .si()"])
        }
        let rest = Array(expected.dropFirst())
        if givenTypes != rest {
            problems.append("\(name) takes (\(expected.map(\.name).joined(separator: ", "))); a partial signature gives all but the first, (\(rest.map(\.name).joined(separator: ", "))), but was given (\(givenTypes.map(\.name).joined(separator: ", ")))")
        }
        return signature(args: args, takes: .value(expected[0]), immutable: false, problems: problems)
    }

    /// Runs the task once per item in one worker task, `celery.map`; the result is the list of outputs.
    /// The task must take one argument, of the items' type.
    public func map<Item: Codable & Sendable>(_ items: [Item]) -> Signature<[Output]> {
        var problems: [String] = []
        let expected = argumentTypes
        if expected != [TypeTag.of(Item.self)] {
            problems.append("\(name).map needs a task of one argument of type \(Item.self); \(name) takes (\(expected.map(\.name).joined(separator: ", ")))")
        }
        let list: JSONValue
        do { list = try JSONValue(encoding: items) } catch {
            list = .array([])
            problems.append("\(name).map: the items do not encode as JSON: \(error)")
        }
        return builtin("celery.map", kwargs: ["task": bare, "it": list], problems: problems)
    }

    /// Runs the task once per argument tuple in one worker task, `celery.starmap`; the result is the list of outputs.
    public func starmap(_ items: [(repeat each Argument)]) -> Signature<[Output]> {
        var rows: [JSONValue] = []
        var problems: [String] = []
        for item in items {
            let encoded = encode(repeat each item)
            rows.append(.array(encoded.args))
            problems += encoded.problems
        }
        return builtin("celery.starmap", kwargs: ["task": bare, "it": .array(rows)], problems: problems)
    }

    /// Splits the argument tuples into chunks of `size`, each run as one `celery.starmap` task
    /// (Celery's `add.chunks(items, size)`); the result is one list of outputs per chunk.
    public func chunks(_ items: [(repeat each Argument)], size: Int) -> Chunks<Output> {
        var rows: [JSONValue] = []
        var problems: [String] = size > 0 ? [] : ["\(name).chunks: the chunk size must be at least 1, not \(size)"]
        for item in items {
            let encoded = encode(repeat each item)
            rows.append(.array(encoded.args))
            problems += encoded.problems
        }
        return Chunks(task: bare, items: rows, size: max(size, 1), app: app, problems: problems)
    }

    /// The types of the task's arguments, in order.
    var argumentTypes: [TypeTag] {
        var types: [TypeTag] = []
        for type in repeat (each Argument).self { types.append(TypeTag.of(type)) }
        return types
    }

    /// The task's signature without arguments, as `map`, `starmap` and `chunks` name it.
    var bare: JSONValue { CanvasDict.task(name, args: [], kwargs: [:], options: [:], immutable: false) }

    private func encode(_ argument: repeat each Argument) -> (args: [JSONValue], problems: [String]) {
        var args: [JSONValue] = []
        var problems: [String] = []
        for value in repeat each argument {
            do { args.append(try JSONValue(encoding: value)) } catch { problems.append("\(name): an argument does not encode as JSON: \(error)") }
        }
        return (args, problems)
    }

    private func signature(args: [JSONValue], takes: AnyCanvas.Receiver.Takes, immutable: Bool, problems: [String]) -> Signature<Output> {
        let dict = CanvasDict.task(name, args: args, kwargs: [:], options: [:], immutable: immutable)
        return Signature(anyCanvas: AnyCanvas(dict: dict, app: app, receivers: [.init(task: name, takes: takes)],
                                              output: .of(Output.self), problems: problems))
    }

    private func builtin<Result: Codable & Sendable>(_ builtinName: String, kwargs: [String: JSONValue], problems: [String]) -> Signature<Result> {
        let dict = CanvasDict.task(builtinName, args: [], kwargs: kwargs, options: [:], immutable: true)
        return Signature(anyCanvas: AnyCanvas(dict: dict, app: app, receivers: [.init(task: builtinName, takes: .nothing)],
                                              output: .of(Result.self), problems: problems))
    }
}

/// A piece of a workflow: a signature, chain, group or chord, typed by what it returns.
///
/// Every canvas is held in Celery's dict form (`anyCanvas.dict`), so what a Swift client
/// sends is what a Celery client sends for the same workflow.
public protocol Canvas: Sendable {
    /// What the canvas returns: a task's output, a chain's last step's, a group's members' as an array.
    associatedtype Output: Codable & Sendable
    /// The untyped canvas.
    var anyCanvas: AnyCanvas { get }
}

/// A canvas without its output type: Celery's dict plus what is known of its types.
public struct AnyCanvas: Sendable {
    /// Celery's dict form of the canvas.
    public let dict: JSONValue
    let app: App
    /// What the canvas's first tasks take from a parent, one entry per task that receives it.
    let receivers: [Receiver]
    /// The type the canvas returns.
    let output: TypeTag
    /// What is wrong with how it was built; reported when it is sent.
    let problems: [String]
    /// A chain's steps, each with its types (empty for any other canvas).
    let chainSteps: [AnyCanvas]

    init(dict: JSONValue, app: App, receivers: [Receiver], output: TypeTag, problems: [String] = [], chainSteps: [AnyCanvas] = []) {
        self.dict = dict
        self.app = app
        self.receivers = receivers
        self.output = output
        self.problems = problems
        self.chainSteps = chainSteps
    }

    /// The same canvas with its dict changed.
    func with(dict: JSONValue) -> AnyCanvas {
        AnyCanvas(dict: dict, app: app, receivers: receivers, output: output, problems: problems, chainSteps: chainSteps)
    }

    /// A chain's steps, or the canvas itself when it is no chain.
    /// (A chain with options of its own, such as a `link`, stays one step.)
    var flattened: [AnyCanvas] { chainSteps.isEmpty || !CanvasDict.options(of: dict).isEmpty ? [self] : chainSteps }

    /// The task name the canvas is known by in messages (`celery.chain` for a chain, ...).
    var label: String { dict["task"]?.stringValue ?? "?" }

    /// Problems of placing this canvas after one returning `parent`, named for step `position`.
    func problems(after parent: TypeTag, parentLabel: String, position: Int) -> [String] {
        receivers.compactMap { $0.problem(taking: parent, from: parentLabel, position: position) }
    }

    /// A task of the canvas and what it takes from its parent.
    struct Receiver: Sendable {
        enum Takes: Sendable {
            /// Ignores the parent (an immutable signature).
            case nothing
            /// Has all its arguments: the parent's result would be one too many.
            case noMore(arity: Int)
            /// Takes a value of this type as its first argument.
            case value(TypeTag)
            /// Unknown (a signature by name): anything goes.
            case anything
        }
        let task: String
        let takes: Takes

        func problem(taking parent: TypeTag, from parentLabel: String, position: Int) -> String? {
            switch takes {
            case .nothing, .anything:
                return nil
            case .noMore(let arity):
                return "step \(position) (\(task)) is given all \(arity) of its arguments, so the result of \(parentLabel) would be one too many: use .si(...) to ignore it, or leave out the first argument"
            case .value(let type):
                if type.isUntyped || parent.isUntyped || type == parent { return nil }
                return "step \(position) (\(task)) takes \(type.name) as its first argument, but \(parentLabel) returns \(parent.name)"
            }
        }
    }
}

/// A Swift type, compared by identity and named in error messages.
struct TypeTag: Sendable, Equatable {
    let id: ObjectIdentifier
    let name: String

    static func of<T>(_ type: T.Type) -> TypeTag {
        TypeTag(id: ObjectIdentifier(type), name: String(describing: type))
    }

    /// JSON in, JSON out: a signature by name, whose types are not known here.
    var isUntyped: Bool { id == ObjectIdentifier(JSONValue.self) || id == ObjectIdentifier([JSONValue].self) }

    static func == (lhs: TypeTag, rhs: TypeTag) -> Bool { lhs.id == rhs.id }
}

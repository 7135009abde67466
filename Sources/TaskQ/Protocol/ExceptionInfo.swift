/// An exception as Celery stores it: `{"exc_type", "exc_message", "exc_module"}`.
public struct ExceptionInfo: Sendable, Hashable, CustomStringConvertible {
    /// The exception's type name, e.g. `ValueError`, `NotRegistered`, `DemoError`.
    public var type: String
    /// The exception's arguments (Python's `args` tuple), usually one message string.
    public var arguments: [JSONValue]
    /// The module the type lives in, e.g. `builtins`, `celery.exceptions`, `tasks`.
    public var module: String

    /// Creates an exception record.
    public init(type: String, arguments: [JSONValue], module: String) {
        self.type = type
        self.arguments = arguments
        self.module = module
    }

    /// Creates an exception record with one message argument.
    public init(type: String, message: String, module: String) {
        self.init(type: type, arguments: [.string(message)], module: module)
    }

    /// The message: the arguments joined as Python's `str(exc)` would show them.
    public var message: String {
        if arguments.count == 1, let text = arguments[0].stringValue { return text }
        if arguments.isEmpty { return "" }
        return PythonRepr.tuple(arguments)
    }

    /// Python's `repr(exc)`, e.g. `ValueError('bad input')`, used in events.
    public var pythonRepr: String {
        "\(type)(" + arguments.map(PythonRepr.of).joined(separator: ", ") + ")"
    }

    /// `Type: message`, as a traceback's last line reads.
    public var description: String { message.isEmpty ? type : "\(type): \(message)" }

    /// The wire form.
    public var json: JSONValue {
        .object(["exc_type": .string(type), "exc_message": .array(arguments), "exc_module": .string(module)])
    }

    /// Reads the wire form; `nil` when `value` is not an exception record.
    public init?(json value: JSONValue) {
        guard let type = value["exc_type"]?.stringValue else { return nil }
        self.type = type
        switch value["exc_message"] {
        case .array(let items)?: arguments = items
        case .none, .null?: arguments = []
        case let other?: arguments = [other]
        }
        module = value["exc_module"]?.stringValue ?? "builtins"
    }

    /// `NotRegistered(name)`: the task is not known to the worker.
    package static func notRegistered(_ name: String) -> ExceptionInfo {
        ExceptionInfo(type: "NotRegistered", message: name, module: "celery.exceptions")
    }

    /// `WorkerLostError`: the child running the task died.
    package static func workerLost(_ detail: String) -> ExceptionInfo {
        ExceptionInfo(type: "WorkerLostError", message: detail, module: "billiard.exceptions")
    }

    /// `TaskRevokedError`: revoked, terminated or expired.
    package static func revoked(_ reason: String) -> ExceptionInfo {
        ExceptionInfo(type: "TaskRevokedError", message: reason, module: "celery.exceptions")
    }
}

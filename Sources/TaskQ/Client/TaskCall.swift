/// The untyped arguments of one task call, for tasks registered with `App.rawTask`.
public struct TaskCall: Sendable {
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: [String: JSONValue]

    /// Creates a call.
    public init(args: [JSONValue] = [], kwargs: [String: JSONValue] = [:]) {
        self.args = args
        self.kwargs = kwargs
    }
}

/// Arguments that do not match what the task declares (Python's `TypeError`).
public struct ArgumentMismatch: Error, CustomStringConvertible, Sendable {
    /// What does not match.
    public let message: String
    public var description: String { message }
}

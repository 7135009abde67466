/// An error from TaskQ itself (not from a task): configuration, connection, waiting.
public struct TaskQError: Error, CustomStringConvertible, Sendable {
    private enum Code: Sendable, Equatable {
        case configuration
        case broker
        case timeout
        case protocolViolation
        case decoding
        case workflow
    }

    private let code: Code
    /// What went wrong and what to do about it.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A setting (URL, option) that cannot be used.
    public static func configuration(_ message: String) -> TaskQError { TaskQError(.configuration, message) }
    /// Redis could not be reached or refused a command.
    public static func broker(_ message: String) -> TaskQError { TaskQError(.broker, message) }
    /// Waiting for a result took longer than allowed.
    public static func timeout(_ message: String) -> TaskQError { TaskQError(.timeout, message) }
    /// Something on the wire did not follow the protocol.
    public static func protocolViolation(_ message: String) -> TaskQError { TaskQError(.protocolViolation, message) }
    /// A stored value did not decode into the expected Swift type.
    public static func decoding(_ message: String) -> TaskQError { TaskQError(.decoding, message) }
    /// A workflow that cannot run as built (a step that does not fit the one before it).
    public static func workflow(_ message: String) -> TaskQError { TaskQError(.workflow, message) }

    /// Whether this is a timeout while waiting for a result.
    public var isTimeout: Bool { code == .timeout }
    /// Whether this is a broker (Redis) failure.
    public var isBrokerFailure: Bool { code == .broker }
    /// Whether this is a workflow built wrong.
    public var isWorkflowError: Bool { code == .workflow }

    public var description: String { message }
}

extension TaskQError {
    /// Wraps a Redis failure in a typed broker error.
    static func wrapping(_ error: any Error) -> any Error {
        if let redis = error as? RedisError { return TaskQError.broker(redis.message) }
        return error
    }
}

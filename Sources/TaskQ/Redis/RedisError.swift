/// A failure talking to Redis, with a description that says what to do.
package struct RedisError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    package enum Kind: Sendable, Equatable {
        /// The connection could not be made, or broke.
        case connection
        /// Redis answered a command with an error reply.
        case reply
        /// A reply had a shape the caller did not expect.
        case protocolViolation
        /// A URL could not be understood.
        case invalidURL
        /// AUTH was refused.
        case authentication
    }

    /// What kind of failure this is.
    package let kind: Kind
    /// The human readable description.
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Whether the connection is unusable after this error and must be rebuilt.
    package var breaksConnection: Bool { kind == .connection }

    /// Whether Redis refused because it is still reading its dataset after a start (`LOADING`):
    /// the same command succeeds once it has.
    package var isLoading: Bool { kind == .reply && message.contains("LOADING ") }

    package var description: String { message }
}

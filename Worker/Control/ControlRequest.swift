import TaskQ

/// One remote-control command from Celery's pidbox.
struct ControlRequest: Sendable {
    /// The command, e.g. `ping`, `revoke`, `stats`.
    let method: String
    /// Its arguments.
    let arguments: [String: JSONValue]
    /// The nodes it is for; `nil` means every worker.
    let destination: [String]?
    /// The caller's reply routing key, when it wants a reply.
    let replyTo: String?
    /// The caller's ticket, echoed in the reply headers.
    let ticket: String?

    /// A request built in place (for the core's tests, and for requests the worker makes itself).
    init(method: String, arguments: [String: JSONValue] = [:], destination: [String]? = nil,
         replyTo: String? = "reply", ticket: String? = "ticket") {
        self.method = method
        self.arguments = arguments
        self.destination = destination
        self.replyTo = replyTo
        self.ticket = ticket
    }

    /// Reads a pidbox broadcast envelope.
    init(envelope: [UInt8]) throws {
        let (body, _) = try ControlEnvelope.open(envelope)
        guard let method = body["method"]?.stringValue else { throw ProtocolError.malformed("control message has no method") }
        self.method = method
        arguments = body["arguments"]?.objectValue ?? [:]
        destination = body["destination"]?.arrayValue?.compactMap(\.stringValue)
        replyTo = body["reply_to"]?["routing_key"]?.stringValue
        ticket = body["ticket"]?.stringValue
    }

    /// Whether a worker named `node` should act on it.
    func isFor(_ node: String) -> Bool {
        destination.map { $0.contains(node) } ?? true
    }
}

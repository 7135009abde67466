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

import FoundationEssentials

/// Celery's remote-control ("pidbox") messages: broadcasts to workers and their replies.
package enum ControlEnvelope {
    /// The exchange replies are routed through.
    package static let replyExchange = "reply.celery.pidbox"

    /// A broadcast envelope for `method`, as `app.control` publishes it.
    package static func request(method: String, arguments: [String: JSONValue], destination: [String]?,
                                replyTo: String?, ticket: String?, timeout: Double) -> [UInt8] {
        var body: [String: JSONValue] = [
            "method": .string(method),
            "arguments": .object(arguments),
            "destination": destination.map { .array($0.map(JSONValue.string)) } ?? .null,
            "pattern": .null,
            "matcher": .null,
        ]
        if let replyTo, let ticket {
            body["ticket"] = .string(ticket)
            body["reply_to"] = .object(["exchange": .string(replyExchange), "routing_key": .string(replyTo)])
        }
        return envelope(body: .object(body),
                        headers: ["clock": 1, "expires": .double(Date().timeIntervalSince1970 + timeout)],
                        exchange: "celery.pidbox", routingKey: "", deliveryMode: 2)
    }

    /// A reply envelope `{node: value}` for the ticket, as a worker LPUSHes it.
    package static func reply(node: String, value: JSONValue, ticket: String, routingKey: String, clock: Int) -> [UInt8] {
        envelope(body: .object([node: value]), headers: ["ticket": .string(ticket), "clock": .int(clock)],
                 exchange: replyExchange, routingKey: routingKey, deliveryMode: 1)
    }

    /// kombu's envelope around a JSON body (base64, as kombu's Redis transport writes it).
    package static func envelope(body: JSONValue, headers: [String: JSONValue], exchange: String, routingKey: String,
                                 deliveryMode: Int) -> [UInt8] {
        envelope(bodyJSON: body.serialized(), headers: headers, exchange: exchange, routingKey: routingKey, deliveryMode: deliveryMode)
    }

    /// kombu's envelope around a body already serialized as JSON.
    package static func envelope(bodyJSON: [UInt8], headers: [String: JSONValue], exchange: String, routingKey: String,
                                 deliveryMode: Int) -> [UInt8] {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(bodyJSON.count * 4 / 3 + 4)
        Base64.append(bodyJSON, to: &encoded)
        return JSONValue.object([
            "body": .string(String(decoding: encoded, as: UTF8.self)),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": .object(headers),
            "properties": .object([
                "delivery_mode": .int(deliveryMode),
                "delivery_info": .object(["exchange": .string(exchange), "routing_key": .string(routingKey)]),
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": .string(TaskID.make()),
            ]),
        ]).serialized()
    }

    /// The decoded body and headers of a kombu envelope (base64 or plain body).
    package static func open(_ bytes: [UInt8]) throws -> (body: JSONValue, headers: [String: JSONValue]) {
        let envelope = try JSONValue.parse(bytes)
        guard let text = envelope["body"]?.stringValue else { throw ProtocolError.malformed("envelope has no body") }
        let raw: [UInt8]
        if envelope["properties"]?["body_encoding"]?.stringValue == "base64" {
            guard let data = Data(base64Encoded: text) else { throw ProtocolError.malformed("body is not base64") }
            raw = Array(data)
        } else {
            raw = Array(text.utf8)
        }
        return (try JSONValue.parse(raw), envelope["headers"]?.objectValue ?? [:])
    }

    /// The reply queue of a control client and its binding member in `_kombu.binding.reply.celery.pidbox`.
    package static func replyQueue(for clientID: String) -> (queue: String, binding: String) {
        let queue = "\(clientID).reply.celery.pidbox"
        return (queue, clientID + CeleryKeys.separator + CeleryKeys.separator + queue)
    }
}

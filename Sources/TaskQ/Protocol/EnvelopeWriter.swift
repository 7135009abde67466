import FoundationEssentials

/// Writes a new task message's kombu envelope straight to bytes.
///
/// The same JSON as `TaskMessage.make(...).envelope()` (a test holds them
/// equal), written field by field without building the header and property
/// dictionaries, the body's `JSONValue` tree or a `Data` for base64: the send
/// path of `delay()` and `sendBatch`, where those were most of the client's time.
package struct EnvelopeWriter {
    /// What a new message carries; the fields `TaskMessage.make` takes.
    package struct Fields {
        package var name: String
        package var id: String
        package var deliveryTag: String
        package var args: [JSONValue]
        package var kwargs: [String: JSONValue]
        package var queue: String
        package var priority: Int = 0
        package var eta: Date?
        package var expires: Date?
        package var timeLimits: (hard: Double?, soft: Double?) = (nil, nil)
        package var ignoreResult = false
        package var origin: String
        package var extraHeaders: [String: JSONValue] = [:]
        /// The body's serializer, compression and signing; plain JSON is written here directly.
        package var format: MessageFormat = .json

        package init(name: String, id: String, deliveryTag: String, args: [JSONValue], kwargs: [String: JSONValue],
                     queue: String, origin: String) {
            self.name = name
            self.id = id
            self.deliveryTag = deliveryTag
            self.args = args
            self.kwargs = kwargs
            self.queue = queue
            self.origin = origin
        }
    }

    /// The header names `TaskMessage.make` sets itself; extra headers by these names are overridden.
    static let standardHeaders: Set<String> = [
        "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit",
        "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result", "replaced_task_nesting",
        "stamped_headers", "stamps",
    ]

    private static let emptyEmbedJSON = Array(#"{"callbacks":null,"errbacks":null,"chain":null,"chord":null}"#.utf8)

    /// The envelope bytes for `fields`, ready to LPUSH.
    package static func envelope(_ fields: Fields) throws -> [UInt8] {
        guard fields.format.isPlainJSON else { return try formattedEnvelope(fields) }
        return plainEnvelope(fields)
    }

    /// Any other format goes through `TaskMessage`, which builds the values a serializer needs.
    private static func formattedEnvelope(_ fields: Fields) throws -> [UInt8] {
        var message = TaskMessage.make(name: fields.name, id: fields.id, args: fields.args, kwargs: fields.kwargs,
                                       queue: fields.queue, priority: fields.priority, eta: fields.eta, expires: fields.expires,
                                       timeLimits: fields.timeLimits, ignoreResult: fields.ignoreResult, origin: fields.origin,
                                       extraHeaders: fields.extraHeaders)
        message.properties["delivery_tag"] = .string(fields.deliveryTag)
        return try message.envelope(format: fields.format)
    }

    /// Plain JSON, written field by field.
    static func plainEnvelope(_ fields: Fields) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(64 + fields.args.count * 8)
        body.append(UInt8(ascii: "["))
        JSONValue.array(fields.args).write(to: &body)
        body.append(UInt8(ascii: ","))
        JSONValue.object(fields.kwargs).write(to: &body)
        body.append(UInt8(ascii: ","))
        body.append(contentsOf: emptyEmbedJSON)
        body.append(UInt8(ascii: "]"))

        var out: [UInt8] = []
        out.reserveCapacity(body.count * 4 / 3 + 900)
        out.append(contentsOf: #"{"body":""#.utf8)
        Base64.append(body, to: &out)
        out.append(contentsOf: #"","content-encoding":"utf-8","content-type":"application/json","headers":{"#.utf8)
        for (key, value) in fields.extraHeaders where !standardHeaders.contains(key) {
            JSONValue.writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            value.write(to: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: #""lang":"py","task":"#.utf8)
        JSONValue.writeString(fields.name, to: &out)
        out.append(contentsOf: #","id":"#.utf8)
        JSONValue.writeString(fields.id, to: &out)
        out.append(contentsOf: #","shadow":null,"eta":"#.utf8)
        writeTime(fields.eta, to: &out)
        out.append(contentsOf: #","expires":"#.utf8)
        writeTime(fields.expires, to: &out)
        out.append(contentsOf: #","group":null,"group_index":null,"retries":0,"timelimit":["#.utf8)
        writeSeconds(fields.timeLimits.hard, to: &out)
        out.append(UInt8(ascii: ","))
        writeSeconds(fields.timeLimits.soft, to: &out)
        out.append(contentsOf: #"],"root_id":"#.utf8)
        JSONValue.writeString(fields.id, to: &out)
        out.append(contentsOf: #","parent_id":null,"argsrepr":"#.utf8)
        JSONValue.writeString(PythonRepr.truncated(PythonRepr.tuple(fields.args)), to: &out)
        out.append(contentsOf: #","kwargsrepr":"#.utf8)
        JSONValue.writeString(PythonRepr.truncated(PythonRepr.dict(fields.kwargs)), to: &out)
        out.append(contentsOf: #","origin":"#.utf8)
        JSONValue.writeString(fields.origin, to: &out)
        out.append(contentsOf: fields.ignoreResult ? #","ignore_result":true"#.utf8 : #","ignore_result":false"#.utf8)
        out.append(contentsOf: #","replaced_task_nesting":0,"stamped_headers":null,"stamps":{}},"properties":{"correlation_id":"#.utf8)
        JSONValue.writeString(fields.id, to: &out)
        out.append(contentsOf: #","reply_to":"","delivery_mode":2,"delivery_info":{"exchange":"","routing_key":"#.utf8)
        JSONValue.writeString(fields.queue, to: &out)
        out.append(contentsOf: #"},"priority":"#.utf8)
        out.append(contentsOf: String(min(max(fields.priority, 0), 9)).utf8)
        out.append(contentsOf: #","body_encoding":"base64","delivery_tag":"#.utf8)
        JSONValue.writeString(fields.deliveryTag, to: &out)
        if let expires = fields.expires {
            out.append(contentsOf: #","expiration":"#.utf8)
            JSONValue.writeString(String(Int(max(0, expires.timeIntervalSinceNow) * 1000)), to: &out)
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    private static func writeTime(_ date: Date?, to out: inout [UInt8]) {
        if let date {
            JSONValue.writeString(CeleryTime.format(date), to: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    private static func writeSeconds(_ seconds: Double?, to out: inout [UInt8]) {
        if let seconds {
            JSONValue.double(seconds).write(to: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }
}

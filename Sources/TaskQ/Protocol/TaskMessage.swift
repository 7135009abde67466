import FoundationEssentials

/// A task message in Celery's protocol v2, in kombu's Redis envelope.
package struct TaskMessage: Sendable {
    /// The v2 headers (`task`, `id`, `eta`, `retries`, ...), custom headers included.
    package var headers: [String: JSONValue] { didSet { header = HeaderFields(headers) } }
    /// The envelope properties (`delivery_tag`, `priority`, `delivery_info`, ...).
    package var properties: [String: JSONValue] { didSet { property = PropertyFields(properties) } }
    /// Positional arguments.
    package var args: [JSONValue] { didSet { received = nil } }
    /// Keyword arguments.
    package var kwargs: [String: JSONValue] { didSet { received = nil } }
    /// `{"callbacks", "errbacks", "chain", "chord"}`.
    package var embed: [String: JSONValue] { didSet { received = nil } }

    /// The body as it arrived (serialized, signed, compressed), written again unchanged while
    /// the arguments are: a held, requeued or retried message keeps its sender's signature.
    private var received: EncodedBody?

    /// The headers the worker reads again and again, looked up once per change of `headers`.
    private var header: HeaderFields
    /// The same for `properties`.
    private var property: PropertyFields

    private struct HeaderFields: Sendable {
        let id: String
        let name: String
        let retries: Int
        let eta: Date?
        let expires: Date?
        let rootID: String?
        let parentID: String?
        let groupID: String?
        let ignoresResult: Bool
        let timeLimits: (hard: Double?, soft: Double?)

        init(_ headers: [String: JSONValue]) {
            id = headers["id"]?.stringValue ?? ""
            name = headers["task"]?.stringValue ?? ""
            retries = headers["retries"]?.intValue ?? 0
            eta = headers["eta"]?.stringValue.flatMap(CeleryTime.parse)
            expires = headers["expires"]?.stringValue.flatMap(CeleryTime.parse)
            rootID = headers["root_id"]?.stringValue
            parentID = headers["parent_id"]?.stringValue
            groupID = headers["group"]?.stringValue
            ignoresResult = headers["ignore_result"]?.boolValue ?? false
            timeLimits = (headers["timelimit"]?[0]?.doubleValue, headers["timelimit"]?[1]?.doubleValue)
        }
    }

    private struct PropertyFields: Sendable {
        let deliveryTag: String
        let priority: Int
        let routingKey: String?

        init(_ properties: [String: JSONValue]) {
            deliveryTag = properties["delivery_tag"]?.stringValue ?? ""
            priority = min(max(properties["priority"]?.intValue ?? 0, 0), 9)
            routingKey = properties["delivery_info"]?["routing_key"]?.stringValue
        }
    }

    /// The task id.
    package var id: String { header.id }
    /// The registered task name.
    package var name: String { header.name }
    /// How many times the task was retried before this delivery.
    package var retries: Int { header.retries }
    /// The earliest time the task may run.
    package var eta: Date? { header.eta }
    /// The time after which the task must not run.
    package var expires: Date? { header.expires }
    /// The first task of the workflow.
    package var rootID: String? { header.rootID }
    /// The task that sent this one.
    package var parentID: String? { header.parentID }
    /// The group this task belongs to.
    package var groupID: String? { header.groupID }
    /// Whether the sender asked not to store a successful result.
    package var ignoresResult: Bool { header.ignoresResult }
    /// `timelimit: [hard, soft]` in seconds.
    package var timeLimits: (hard: Double?, soft: Double?) { header.timeLimits }
    /// kombu's delivery tag, the key of the unacked bookkeeping.
    package var deliveryTag: String { property.deliveryTag }
    /// The message priority 0...9 (lower is served first on Redis).
    package var priority: Int { property.priority }
    /// The routing key the message was published with (the queue name for the default exchange).
    package var routingKey: String? { property.routingKey }
    /// Whether kombu marked the message as redelivered.
    package var redelivered: Bool {
        headers["redelivered"]?.boolValue ?? properties["delivery_info"]?["redelivered"]?.boolValue ?? false
    }
    /// `argsrepr`, or a repr made from the arguments.
    package var argsRepr: String { headers["argsrepr"]?.stringValue ?? PythonRepr.tuple(args) }
    /// `kwargsrepr`, or a repr made from the keyword arguments.
    package var kwargsRepr: String { headers["kwargsrepr"]?.stringValue ?? PythonRepr.dict(kwargs) }

    package init(headers: [String: JSONValue], properties: [String: JSONValue], args: [JSONValue],
                 kwargs: [String: JSONValue], embed: [String: JSONValue]) {
        self.headers = headers
        self.properties = properties
        self.header = HeaderFields(headers)
        self.property = PropertyFields(properties)
        self.args = args
        self.kwargs = kwargs
        self.embed = embed
    }

    /// An empty `embed`: no callbacks, errbacks, chain or chord.
    package static let emptyEmbed: [String: JSONValue] = ["callbacks": .null, "errbacks": .null, "chain": .null, "chord": .null]

    /// Reads an envelope as kombu stores it in a Redis list: JSON only, unsigned, unless
    /// `reader` accepts more (msgpack, YAML, compressed or signed bodies). A `redelivered`
    /// message (one the worker's own bookkeeping hands out again) skips the replay window.
    package init(envelope bytes: [UInt8], reader: MessageReader = .json, now: Date = Date(), redelivered: Bool = false) throws {
        let envelope: JSONValue
        do {
            envelope = try JSONValue.parse(bytes)
        } catch {
            throw ProtocolError.malformed("envelope is not JSON (\(error))")
        }
        guard let headers = envelope["headers"]?.objectValue else {
            throw ProtocolError.malformed("envelope has no 'headers' object (protocol v1 messages are not supported)")
        }
        guard headers["task"]?.stringValue?.isEmpty == false else { throw ProtocolError.malformed("headers have no 'task' name") }
        guard headers["id"]?.stringValue?.isEmpty == false else { throw ProtocolError.malformed("headers have no task 'id'") }
        try Self.validate(headers: headers)
        let properties = envelope["properties"]?.objectValue ?? [:]
        guard let bodyText = envelope["body"]?.stringValue else { throw ProtocolError.malformed("envelope has no 'body' string") }
        let transported: [UInt8]
        if properties["body_encoding"]?.stringValue == "base64" {
            guard let decoded = Data(base64Encoded: bodyText) else { throw ProtocolError.malformed("body is not valid base64") }
            transported = Array(decoded)
        } else {
            transported = Array(bodyText.utf8)
        }
        let contentType = envelope["content-type"]?.stringValue ?? Serializer.json.contentType
        let body: JSONValue
        if contentType == Serializer.json.contentType && headers["compression"] == nil && reader.accepted.contains("json") {
            // The common case, without the reader's dispatch.
            do {
                body = try JSONValue.parse(transported)
            } catch {
                throw ProtocolError.malformed("body is not JSON (\(error))")
            }
        } else {
            body = try reader.decodeBody(transported, contentType: contentType, headers: headers)
        }
        try reader.checkHeaderSignature(headers: headers, transported: transported, now: now, redelivered: redelivered)
        guard let parts = body.arrayValue, parts.count >= 2,
              let args = parts[0].arrayValue, let kwargs = parts[1].objectValue else {
            throw ProtocolError.malformed("body is not [args, kwargs, embed]")
        }
        self.init(headers: headers, properties: properties, args: args, kwargs: kwargs,
                  embed: parts.count > 2 ? (parts[2].objectValue ?? Self.emptyEmbed) : Self.emptyEmbed)
        received = EncodedBody(bytes: transported, contentType: contentType,
                               contentEncoding: envelope["content-encoding"]?.stringValue ?? "utf-8", addedHeaders: [:])
    }

    /// The body `[args, kwargs, embed]` as JSON bytes.
    package func bodyBytes() -> [UInt8] {
        JSONValue.array([.array(args), .object(kwargs), .object(embed)]).serialized()
    }

    /// The envelope as kombu writes it: base64 body, JSON content type.
    package func envelope() -> [UInt8] {
        // Plain JSON neither signs nor runs a serializer that can fail.
        (try? envelope(format: .json)) ?? []
    }

    /// The envelope as kombu writes it: base64 body, in `format`.
    package func envelope(format: MessageFormat) throws -> [UInt8] {
        var properties = self.properties
        properties["body_encoding"] = .string("base64")
        var headers = self.headers
        let body: EncodedBody
        if let received {
            // The sender's body and its compression header as they were; new headers need a new header signature.
            body = received
            if let signing = format.signing, format.signsHeaders {
                headers[HeaderSignature.header] = nil
                headers[HeaderSignature.header] = try HeaderSignature.make(headers: headers, body: body.bytes, identity: signing)
            }
        } else {
            headers["compression"] = nil
            headers[HeaderSignature.header] = nil
            if format.isPlainJSON {
                body = EncodedBody(bytes: bodyBytes(), contentType: Serializer.json.contentType, contentEncoding: "utf-8", addedHeaders: [:])
            } else {
                body = try format.encode(body: .array([.array(args), .object(kwargs), .object(embed)]), headers: headers)
                headers.merge(body.addedHeaders) { _, added in added }
            }
        }
        let envelope: JSONValue = .object([
            "body": .string(Data(body.bytes).base64EncodedString()),
            "content-encoding": .string(body.contentEncoding),
            "content-type": .string(body.contentType),
            "headers": .object(headers),
            "properties": .object(properties),
        ])
        return envelope.serialized()
    }

    /// A new message for `name` with every v2 header Celery 5 writes.
    package static func make(name: String, id: String, args: [JSONValue], kwargs: [String: JSONValue],
                             queue: String, priority: Int = 0, eta: Date? = nil, expires: Date? = nil,
                             retries: Int = 0, rootID: String? = nil, parentID: String? = nil, groupID: String? = nil,
                             timeLimits: (hard: Double?, soft: Double?) = (nil, nil), ignoreResult: Bool = false,
                             origin: String, extraHeaders: [String: JSONValue] = [:],
                             embed: [String: JSONValue] = emptyEmbed) -> TaskMessage {
        var headers: [String: JSONValue] = extraHeaders
        let hardLimit: JSONValue = timeLimits.hard.map(JSONValue.double) ?? .null
        let softLimit: JSONValue = timeLimits.soft.map(JSONValue.double) ?? .null
        let standard: [String: JSONValue] = [
            "lang": "py",
            "task": .string(name),
            "id": .string(id),
            "shadow": .null,
            "eta": eta.map { .string(CeleryTime.format($0)) } ?? .null,
            "expires": expires.map { .string(CeleryTime.format($0)) } ?? .null,
            "group": groupID.map(JSONValue.string) ?? .null,
            "group_index": .null,
            "retries": .int(retries),
            "timelimit": .array([hardLimit, softLimit]),
            "root_id": .string(rootID ?? id),
            "parent_id": parentID.map(JSONValue.string) ?? .null,
            "argsrepr": .string(PythonRepr.truncated(PythonRepr.tuple(args))),
            "kwargsrepr": .string(PythonRepr.truncated(PythonRepr.dict(kwargs))),
            "origin": .string(origin),
            "ignore_result": .bool(ignoreResult),
            "replaced_task_nesting": .int(0),
            "stamped_headers": .null,
            "stamps": .object([:]),
        ]
        headers.merge(standard) { _, ours in ours }
        var properties: [String: JSONValue] = [
            "correlation_id": .string(id),
            "reply_to": "",
            "delivery_mode": 2,
            "delivery_info": .object(["exchange": "", "routing_key": .string(queue)]),
            "priority": .int(min(max(priority, 0), 9)),
            "body_encoding": "base64",
            "delivery_tag": .string(TaskID.make()),
        ]
        if let expires {
            properties["expiration"] = .string(String(Int(max(0, expires.timeIntervalSinceNow) * 1000)))
        }
        return TaskMessage(headers: headers, properties: properties, args: args, kwargs: kwargs, embed: embed)
    }

    /// The same message as a fresh delivery (new delivery tag) for a retry or a requeue.
    package func redelivery() -> TaskMessage {
        var copy = self
        copy.properties["delivery_tag"] = .string(TaskID.make())
        return copy
    }

    /// The message's place in a workflow, when it has one: `group`, `group_index`,
    /// `replaced_task_nesting` and the non-empty `embed` members (`chain`, `chord`,
    /// `callbacks`, `errbacks`). A task needs it to replace itself or add to its chord.
    package var workflowPlace: JSONValue? {
        var place: [String: JSONValue] = [:]
        for (key, value) in embed where !value.isNull { place[key] = value }
        if let groupID { place["group"] = .string(groupID) }
        guard !place.isEmpty else { return nil }
        place["group_index"] = headers["group_index"] ?? .null
        place["replaced_task_nesting"] = headers["replaced_task_nesting"] ?? .int(0)
        return .object(place)
    }

    /// The list this message belongs in, by its routing key (or `fallbackQueue`) and priority.
    package func targetList(fallbackQueue: String) -> String {
        CeleryKeys.queueList(routingKey ?? fallbackQueue, priority: priority)
    }
}

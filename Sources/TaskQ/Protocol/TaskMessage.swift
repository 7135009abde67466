import FoundationEssentials

/// A task message in Celery's protocol v2, in kombu's Redis envelope.
package struct TaskMessage: Sendable {
    /// The v2 headers (`task`, `id`, `eta`, `retries`, ...), custom headers included.
    package var headers: [String: JSONValue] { didSet { header = HeaderFields(headers) } }
    /// The envelope properties (`delivery_tag`, `priority`, `delivery_info`, ...).
    package var properties: [String: JSONValue] { didSet { property = PropertyFields(properties) } }
    /// Positional arguments.
    package var args: [JSONValue]
    /// Keyword arguments.
    package var kwargs: [String: JSONValue]
    /// `{"callbacks", "errbacks", "chain", "chord"}`.
    package var embed: [String: JSONValue]

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

    /// Reads an envelope as kombu stores it in a Redis list.
    package init(envelope bytes: [UInt8]) throws {
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
        if let type = envelope["content-type"]?.stringValue, type != "application/json" {
            throw ProtocolError.malformed("content-type '\(type)' is not supported; send JSON (task_serializer='json')")
        }
        guard let bodyText = envelope["body"]?.stringValue else { throw ProtocolError.malformed("envelope has no 'body' string") }
        let bodyBytes: [UInt8]
        if properties["body_encoding"]?.stringValue == "base64" {
            guard let decoded = Data(base64Encoded: bodyText) else { throw ProtocolError.malformed("body is not valid base64") }
            bodyBytes = Array(decoded)
        } else {
            bodyBytes = Array(bodyText.utf8)
        }
        let body: JSONValue
        do {
            body = try JSONValue.parse(bodyBytes)
        } catch {
            throw ProtocolError.malformed("body is not JSON (\(error))")
        }
        guard let parts = body.arrayValue, parts.count >= 2,
              let args = parts[0].arrayValue, let kwargs = parts[1].objectValue else {
            throw ProtocolError.malformed("body is not [args, kwargs, embed]")
        }
        self.init(headers: headers, properties: properties, args: args, kwargs: kwargs,
                  embed: parts.count > 2 ? (parts[2].objectValue ?? Self.emptyEmbed) : Self.emptyEmbed)
    }

    /// The body `[args, kwargs, embed]` as JSON bytes.
    package func bodyBytes() -> [UInt8] {
        JSONValue.array([.array(args), .object(kwargs), .object(embed)]).serialized()
    }

    /// The envelope as kombu writes it: base64 body, JSON content type.
    package func envelope() -> [UInt8] {
        var properties = self.properties
        properties["body_encoding"] = .string("base64")
        let envelope: JSONValue = .object([
            "body": .string(Data(bodyBytes()).base64EncodedString()),
            "content-encoding": "utf-8",
            "content-type": "application/json",
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

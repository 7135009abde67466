import FoundationEssentials

/// Turns a frozen canvas into the messages that start it, as Celery's `apply_async` does:
/// a chain sends its first step with the rest in `embed.chain` (reversed), a group sends
/// every member with `group`/`group_index`, a chord records its header's size and sends the
/// header tasks with the body in `embed.chord`.
///
/// The client applies a workflow with it; a worker applies the canvas a task's chain step,
/// callback or chord callback names with it, so both write the same shapes.
package struct CanvasPlanner {
    /// What every message of one application inherits.
    package struct Settings {
        /// The sender's name (`origin` header).
        package var origin: String
        /// The queue of a task whose options name none.
        package var queue: (_ name: String, _ args: [JSONValue], _ kwargs: [String: JSONValue]) -> String
        /// The task's own defaults (priority, time limits), when the sender knows the task.
        package var taskOptions: (_ name: String) -> TaskOptions?
        /// Now, for countdowns and relative expiries.
        package var now: Date
        /// The sender's `reply_to` (Celery's app oid), written into frozen options and message properties.
        package var replyTo: String?

        package init(origin: String, queue: @escaping (String, [JSONValue], [String: JSONValue]) -> String,
                     taskOptions: @escaping (String) -> TaskOptions? = { _ in nil }, now: Date = Date(), replyTo: String? = nil) {
            self.origin = origin
            self.queue = queue
            self.taskOptions = taskOptions
            self.now = now
            self.replyTo = replyTo
        }
    }

    /// Where the messages being sent sit in a workflow.
    package struct Placement {
        /// The task that sends them (`parent_id`).
        package var parentID: String?
        /// The workflow's first task (`root_id`); a message without one is its own root.
        package var rootID: String?
        var groupID: String?
        var groupIndex: Int?
        var chord: JSONValue?
        /// The steps that follow, reversed as `embed.chain` holds them.
        package var chain: [JSONValue]?

        package init(parentID: String? = nil, rootID: String? = nil, chain: [JSONValue]? = nil) {
            self.parentID = parentID
            self.rootID = rootID
            self.chain = chain
        }
    }

    /// One message to LPUSH.
    package struct Publish: Sendable {
        package let message: TaskMessage
        package let list: String
    }

    /// A chord's header size, to be stored before its header tasks are sent.
    package struct ChordSize: Sendable, Equatable {
        package let group: String
        package let size: Int

        /// Celery 5.7's writes: clear a finished join's claim (`.c`), store the size (`.s`).
        package func commands(expiry: Int) -> [RedisCommand] {
            let key = CeleryKeys.groupMeta(group)
            return [RedisCommand("DEL", key + ".c"), RedisCommand("SET", key + ".s", size, "EX", expiry > 0 ? expiry : 86_400)]
        }
    }

    package let settings: Settings
    /// The messages, in sending order.
    package private(set) var publishes: [Publish] = []
    /// The chord sizes to store first.
    package private(set) var chordSizes: [ChordSize] = []

    package init(settings: Settings) {
        self.settings = settings
    }

    /// Freezes `dict` and plans its messages, the arguments led by `prepending` (a parent's
    /// result) unless a task is immutable. Returns the canvas's results.
    @discardableResult
    package mutating func apply(_ dict: JSONValue, prepending: JSONValue? = nil, placement: Placement = Placement()) -> ResultNode {
        let frozen = CanvasFreezer.freeze(dict, replyTo: settings.replyTo)
        plan(frozen.dict, prepending: prepending, placement: placement)
        return frozen.result
    }

    private mutating func plan(_ dict: JSONValue, prepending: JSONValue?, placement: Placement) {
        switch CanvasDict.kind(of: dict) {
        case .chain?:
            var steps = CanvasDict.tasks(of: dict)
            guard !steps.isEmpty else { return }
            if steps.count > 1 {
                let last = steps.count - 1
                if let group = placement.groupID { steps[last] = CanvasDict.setting("group_id", .string(group), in: steps[last]) }
                if let index = placement.groupIndex { steps[last] = CanvasDict.setting("group_index", .int(index), in: steps[last]) }
                if let chord = placement.chord { steps[last] = CanvasDict.setting("chord", chord, in: steps[last]) }
            }
            var first = placement
            if steps.count > 1 {
                first.groupID = nil
                first.groupIndex = nil
                first.chord = nil
            }
            first.chain = (placement.chain ?? []) + Array(steps.dropFirst().reversed())
            plan(steps[0], prepending: prepending, placement: first)
        case .group?:
            let groupID = CanvasDict.options(of: dict)["task_id"]?.stringValue
            for (index, member) in CanvasDict.tasks(of: dict).enumerated() {
                var inGroup = placement
                inGroup.groupID = groupID ?? placement.groupID
                inGroup.groupIndex = index
                inGroup.chain = placement.chain?.isEmpty == true ? [] : nil
                plan(member, prepending: prepending, placement: inGroup)
            }
        case .chord?:
            let header = CanvasDict.headerGroup(of: dict)
            let members = CanvasDict.tasks(of: header)
            guard let groupID = CanvasDict.options(of: header)["task_id"]?.stringValue else { return }
            var body = CanvasDict.body(of: dict) ?? .null
            if let chain = placement.chain, !chain.isEmpty {
                // Steps after the chord run after its body.
                if CanvasDict.kind(of: body) == .chain {
                    body = CanvasDict.chain(CanvasDict.tasks(of: body) + chain.reversed(), options: CanvasDict.options(of: body))
                } else {
                    body = CanvasDict.setting("chain", .array(chain + (CanvasDict.options(of: body)["chain"]?.arrayValue ?? [])), in: body)
                }
            }
            chordSizes.append(ChordSize(group: groupID, size: members.count))
            for (index, member) in members.enumerated() {
                var inChord = placement
                inChord.groupID = groupID
                inChord.groupIndex = index
                inChord.chord = body
                inChord.chain = nil
                plan(member, prepending: prepending, placement: inChord)
            }
        case .task?, nil:
            guard let name = dict["task"]?.stringValue else { return }
            publishes.append(message(for: dict, name: name, prepending: prepending, placement: placement))
        }
    }

    private func message(for dict: JSONValue, name: String, prepending: JSONValue?, placement: Placement) -> Publish {
        let options = CanvasDict.options(of: dict)
        var args = dict["args"]?.arrayValue ?? []
        if let prepending, dict["immutable"]?.boolValue != true { args.insert(prepending, at: 0) }
        let kwargs = dict["kwargs"]?.objectValue ?? [:]
        let id = options["task_id"]?.stringValue ?? TaskID.make()
        let defaults = settings.taskOptions(name)
        let queue = options["queue"]?.stringValue ?? settings.queue(name, args, kwargs)
        var embed = TaskMessage.emptyEmbed
        embed["callbacks"] = nonEmpty(options["link"])
        embed["errbacks"] = nonEmpty(options["link_error"])
        embed["chain"] = placement.chain.map(JSONValue.array) ?? nonEmpty(options["chain"])
        embed["chord"] = placement.chord ?? options["chord"] ?? .null
        let groupID = placement.groupID ?? options["group_id"]?.stringValue
        var message = TaskMessage.make(
            name: name, id: id, args: args, kwargs: kwargs, queue: queue,
            priority: options["priority"]?.intValue ?? defaults?.priority ?? 0,
            eta: eta(options), expires: expiry(options),
            rootID: placement.rootID ?? options["root_id"]?.stringValue,
            parentID: placement.parentID ?? options["parent_id"]?.stringValue,
            groupID: groupID,
            timeLimits: (options["time_limit"]?.doubleValue ?? defaults?.timeLimit?.seconds,
                         options["soft_time_limit"]?.doubleValue ?? defaults?.softTimeLimit?.seconds),
            ignoreResult: options["ignore_result"]?.boolValue ?? defaults?.ignoreResult ?? false,
            origin: settings.origin, extraHeaders: options["headers"]?.objectValue ?? [:], embed: embed)
        if let index = placement.groupIndex ?? options["group_index"]?.intValue, groupID != nil {
            message.headers["group_index"] = .int(index)
        }
        if let nesting = options["replaced_task_nesting"]?.intValue { message.headers["replaced_task_nesting"] = .int(nesting) }
        if let replyTo = settings.replyTo { message.properties["reply_to"] = .string(replyTo) }
        return Publish(message: message, list: message.targetList(fallbackQueue: queue))
    }

    private func nonEmpty(_ value: JSONValue?) -> JSONValue {
        guard let value, !value.isNull else { return .null }
        if let list = value.arrayValue { return .array(list) }
        return .array([value])
    }

    private func eta(_ options: [String: JSONValue]) -> Date? {
        if let countdown = options["countdown"]?.doubleValue { return settings.now.addingTimeInterval(countdown) }
        return options["eta"]?.stringValue.flatMap(CeleryTime.parse)
    }

    private func expiry(_ options: [String: JSONValue]) -> Date? {
        if let seconds = options["expires"]?.doubleValue { return settings.now.addingTimeInterval(seconds) }
        return options["expires"]?.stringValue.flatMap(CeleryTime.parse)
    }
}

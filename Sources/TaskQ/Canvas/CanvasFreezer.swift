/// Gives every task, group and chord of a canvas its id before anything is sent, and puts
/// the canvas in the shape Celery applies: nested chains flattened, a group followed by
/// more steps upgraded to a chord, steps after a chord moved into the chord's body.
///
/// A frozen canvas applied later (by a worker, from `embed.chain`) keeps its ids, so the
/// results a client holds are the ones the tasks store.
package enum CanvasFreezer {
    /// `dict` frozen, with the results it will have.
    ///
    /// The ids and options are the ones Celery's `freeze()` writes: `task_id` and `reply_to`
    /// on each task, `group_index` on each group member, the body as `chord` on each chord
    /// header task, and the group id as the `task_id` of a group or chord dict.
    package static func freeze(_ dict: JSONValue, replyTo: String? = nil,
                               makeID: () -> String = TaskID.make) -> (dict: JSONValue, result: ResultNode) {
        switch CanvasDict.kind(of: dict) {
        case .chain?:
            return freezeChain(dict, replyTo: replyTo, makeID: makeID)
        case .group?:
            let id = CanvasDict.options(of: dict)["task_id"]?.stringValue ?? makeID()
            var members: [JSONValue] = []
            var results: [ResultNode] = []
            for (index, member) in CanvasDict.tasks(of: dict).enumerated() {
                let frozen = freeze(inGroup(member, group: id, index: index), replyTo: replyTo, makeID: makeID)
                members.append(frozen.dict)
                results.append(frozen.result)
            }
            var options = CanvasDict.options(of: dict)
            options["task_id"] = .string(id)
            options["root_id"] = options["root_id"] ?? .null
            options["parent_id"] = options["parent_id"] ?? .null
            return (CanvasDict.group(members, options: options), .group(id: id, members: results, parent: nil))
        case .chord?:
            var header = CanvasDict.headerGroup(of: dict)
            let groupID = CanvasDict.options(of: header)["task_id"]?.stringValue ?? makeID()
            let frozenBody = freeze(body(of: dict, headerGroup: groupID), replyTo: replyTo, makeID: makeID)
            let members = CanvasDict.tasks(of: header).map { member in
                CanvasDict.options(of: member)["chord"] == nil ? CanvasDict.setting("chord", frozenBody.dict, in: member) : member
            }
            header = CanvasDict.group(members, options: CanvasDict.options(of: header))
            header = CanvasDict.setting("task_id", .string(groupID), in: header)
            header = CanvasDict.setting("chord", frozenBody.dict, in: header)
            let frozenHeader = freeze(header, replyTo: replyTo, makeID: makeID)
            let chord = CanvasDict.chord(header: frozenHeader.dict, body: frozenBody.dict, options: ["task_id": .string(groupID)])
            return (chord, attach(frozenBody.result, to: frozenHeader.result))
        case .task?, nil:
            if let id = CanvasDict.options(of: dict)["task_id"]?.stringValue { return (dict, .task(id: id, parent: nil)) }
            let id = makeID()
            var frozen = CanvasDict.setting("task_id", .string(id), in: dict)
            if let replyTo { frozen = CanvasDict.setting("reply_to", .string(replyTo), in: frozen) }
            return (frozen, .task(id: id, parent: nil))
        }
    }

    /// A chord's body with the chord's options moved onto it: its id, callbacks and errbacks,
    /// and its place in an outer chord when the chord is a header task of one (else the
    /// body's group is the chord's header).
    private static func body(of chord: JSONValue, headerGroup: String) -> JSONValue {
        var body = CanvasDict.body(of: chord) ?? .null
        let options = CanvasDict.options(of: chord)
        for (key, value) in options {
            switch key {
            case "link", "link_error":
                body = appendingAll(value, to: key, in: body)
            case "chord", "group_id", "group_index":
                if options["chord"] != nil { body = CanvasDict.setting(key, value, in: body) }
            case "task_id":
                break   // a chord's own id is its header group's
            default:
                if CanvasDict.options(of: body)[key] == nil { body = CanvasDict.setting(key, value, in: body) }
            }
        }
        if options["chord"] == nil { body = CanvasDict.setting("group_id", .string(headerGroup), in: body) }
        return body
    }

    /// The steps of a chain in the shape it is applied in (see the type's comment).
    package static func normalizedSteps(of chain: JSONValue) -> [JSONValue] {
        var flat: [JSONValue] = []
        for step in stepsCarryingOptions(of: chain) {
            if CanvasDict.kind(of: step) == .chain {
                flat.append(contentsOf: normalizedSteps(of: step))
            } else {
                flat.append(step)
            }
        }
        var steps: [JSONValue] = []
        var index = 0
        while index < flat.count {
            let step = flat[index]
            let rest = Array(flat[(index + 1)...])
            switch CanvasDict.kind(of: step) {
            case .group? where !rest.isEmpty:
                steps.append(CanvasDict.chord(header: step, body: bodyChain(rest)))
                return steps
            case .chord? where !rest.isEmpty:
                let body = CanvasDict.body(of: step) ?? .null
                steps.append(CanvasDict.chord(header: CanvasDict.headerGroup(of: step), body: bodyChain([body] + rest),
                                              options: CanvasDict.options(of: step)))
                return steps
            default:
                steps.append(step)
            }
            index += 1
        }
        return steps
    }

    private static func bodyChain(_ steps: [JSONValue]) -> JSONValue {
        steps.count == 1 ? steps[0] : CanvasDict.chain(steps)
    }

    private static func freezeChain(_ dict: JSONValue, replyTo: String?, makeID: () -> String) -> (dict: JSONValue, result: ResultNode) {
        let steps = normalizedSteps(of: dict)
        guard !steps.isEmpty else { return (dict, .task(id: makeID(), parent: nil)) }
        var frozen: [JSONValue] = []
        var previous: ResultNode?
        for step in steps {
            let result = freeze(step, replyTo: replyTo, makeID: makeID)
            frozen.append(result.dict)
            previous = attach(result.result, to: previous)
        }
        return (CanvasDict.chain(frozen, options: ["task_id": .string(previous!.id)]), previous!)
    }

    /// A chain's steps with the chain's own options handed down: `link` runs after the last
    /// step, `link_error` after any; the chain's id and place in a group or chord are its
    /// last step's; other options apply to every step that sets none of its own.
    private static func stepsCarryingOptions(of chain: JSONValue) -> [JSONValue] {
        let chainOptions = CanvasDict.options(of: chain)
        var steps = CanvasDict.tasks(of: chain)
        for index in steps.indices {
            for (key, value) in chainOptions {
                switch key {
                case "link":
                    if index == steps.count - 1 { steps[index] = appendingAll(value, to: "link", in: steps[index]) }
                case "link_error":
                    steps[index] = appendingAll(value, to: "link_error", in: steps[index])
                case "group_id", "group_index", "chord":
                    if index == steps.count - 1 { steps[index] = CanvasDict.setting(key, value, in: steps[index]) }
                case "task_id":
                    if index == steps.count - 1, CanvasDict.options(of: steps[index])["task_id"] == nil {
                        steps[index] = CanvasDict.setting(key, value, in: steps[index])
                    }
                default:
                    if CanvasDict.options(of: steps[index])[key] == nil { steps[index] = CanvasDict.setting(key, value, in: steps[index]) }
                }
            }
        }
        return steps
    }

    private static func appendingAll(_ callbacks: JSONValue, to key: String, in dict: JSONValue) -> JSONValue {
        var dict = dict
        for callback in callbacks.arrayValue ?? [callbacks] { dict = CanvasDict.appending(callback, to: key, in: dict) }
        return dict
    }

    /// `member` placed at `index` of group `group`. A task member is told its index (the group
    /// id is the group's); a chain member's last step is told both.
    private static func inGroup(_ member: JSONValue, group: String, index: Int) -> JSONValue {
        var placed = CanvasDict.setting("group_index", .int(index), in: member)
        if CanvasDict.kind(of: member) == .chain { placed = CanvasDict.setting("group_id", .string(group), in: placed) }
        return placed
    }

    /// `result` following `parent`; a chain's first result gets the parent at its root.
    private static func attach(_ result: ResultNode, to parent: ResultNode?) -> ResultNode {
        guard let parent else { return result }
        guard let own = result.parent else { return result.withParent(parent) }
        return result.withParent(attach(own, to: parent))
    }
}

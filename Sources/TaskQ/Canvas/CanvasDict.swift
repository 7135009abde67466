/// Celery's dict form of a signature, the one shape every canvas takes on the wire:
/// `{"task", "args", "kwargs", "options", "subtask_type", "immutable"}`.
///
/// A task signature has `subtask_type: null`; a chain is `celery.chain` with its steps in
/// `kwargs.tasks`, a group `celery.group` with its members in `kwargs.tasks`, and a chord
/// `celery.chord` with `kwargs.header` (a group) and `kwargs.body`.
package enum CanvasDict {
    /// What kind of canvas a dict is.
    package enum Kind: Equatable, Sendable {
        case task, chain, group, chord
    }

    /// A task signature's dict.
    package static func task(_ name: String, args: [JSONValue], kwargs: [String: JSONValue],
                             options: [String: JSONValue], immutable: Bool) -> JSONValue {
        make(name, args: args, kwargs: kwargs, options: options, subtaskType: nil, immutable: immutable)
    }

    /// A chain's dict; its steps in order.
    package static func chain(_ steps: [JSONValue], options: [String: JSONValue] = [:]) -> JSONValue {
        make("celery.chain", args: [], kwargs: ["tasks": .array(steps)], options: options, subtaskType: "chain", immutable: false)
    }

    /// A group's dict.
    package static func group(_ members: [JSONValue], options: [String: JSONValue] = [:]) -> JSONValue {
        make("celery.group", args: [], kwargs: ["tasks": .array(members)], options: options, subtaskType: "group", immutable: false)
    }

    /// A chord's dict: `header` is a group's dict, `body` any canvas dict.
    package static func chord(header: JSONValue, body: JSONValue, options: [String: JSONValue] = [:]) -> JSONValue {
        make("celery.chord", args: [], kwargs: ["header": header, "body": body, "kwargs": .object([:])], options: options,
             subtaskType: "chord", immutable: false)
    }

    private static func make(_ name: String, args: [JSONValue], kwargs: [String: JSONValue], options: [String: JSONValue],
                             subtaskType: String?, immutable: Bool) -> JSONValue {
        .object([
            "task": .string(name), "args": .array(args), "kwargs": .object(kwargs), "options": .object(options),
            "subtask_type": subtaskType.map(JSONValue.string) ?? .null, "immutable": .bool(immutable),
        ])
    }

    /// The kind of `dict`, or `nil` when it is no signature (no `task` name).
    package static func kind(of dict: JSONValue) -> Kind? {
        guard dict["task"]?.stringValue != nil else { return nil }
        switch dict["subtask_type"]?.stringValue {
        case "chain": return .chain
        case "group": return .group
        case "chord": return .chord
        default:
            switch dict["task"]?.stringValue {
            case "celery.chain" where dict["kwargs"]?["tasks"] != nil: return .chain
            case "celery.group" where dict["kwargs"]?["tasks"] != nil: return .group
            case "celery.chord" where dict["kwargs"]?["header"] != nil: return .chord
            default: return .task
            }
        }
    }

    /// The steps of a chain or the members of a group (a group's `tasks` may also be one dict).
    package static func tasks(of dict: JSONValue) -> [JSONValue] {
        let tasks = dict["kwargs"]?["tasks"] ?? dict["args"]?[0] ?? .array([])
        if let list = tasks.arrayValue { return list }
        return tasks.objectValue != nil ? [tasks] : []
    }

    /// A chord's header members (its header is a group dict or a plain list).
    package static func header(of dict: JSONValue) -> [JSONValue] {
        let header = dict["kwargs"]?["header"] ?? .array([])
        if let list = header.arrayValue { return list }
        return kind(of: header) == .group ? tasks(of: header) : [header]
    }

    /// A chord's header as a group dict (its options, such as the group id, kept).
    package static func headerGroup(of dict: JSONValue) -> JSONValue {
        let header = dict["kwargs"]?["header"] ?? .array([])
        if kind(of: header) == .group { return header }
        return group(header.arrayValue ?? [header])
    }

    /// A chord's body.
    package static func body(of dict: JSONValue) -> JSONValue? { dict["kwargs"]?["body"] }

    /// The dict's options.
    package static func options(of dict: JSONValue) -> [String: JSONValue] { dict["options"]?.objectValue ?? [:] }

    /// `dict` with `options[key]` set (or removed, for `nil`).
    package static func setting(_ key: String, _ value: JSONValue?, in dict: JSONValue) -> JSONValue {
        guard case .object(var members) = dict else { return dict }
        var options = members["options"]?.objectValue ?? [:]
        options[key] = value
        members["options"] = .object(options)
        return .object(members)
    }

    /// `dict` with `member` set at the top level (`kwargs`, `chord_size`, ...).
    package static func replacing(_ member: String, with value: JSONValue, in dict: JSONValue) -> JSONValue {
        guard case .object(var members) = dict else { return dict }
        members[member] = value
        return .object(members)
    }

    /// `dict` with `callback` appended to `options[key]` (`link` or `link_error`).
    package static func appending(_ callback: JSONValue, to key: String, in dict: JSONValue) -> JSONValue {
        var list = options(of: dict)[key]?.arrayValue ?? []
        list.append(callback)
        return setting(key, .array(list), in: dict)
    }
}

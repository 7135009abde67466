/// The results a canvas has once applied: task ids and group ids, each with its parent.
///
/// Celery's client builds the same tree (`AsyncResult.parent`, `GroupResult.results`);
/// `asTuple` is its `as_tuple()` form, as `GroupResult.save()` stores it.
package indirect enum ResultNode: Sendable, Equatable {
    /// One task's result.
    case task(id: String, parent: ResultNode?)
    /// A group's results, in member order.
    case group(id: String, members: [ResultNode], parent: ResultNode?)

    /// The task or group id.
    package var id: String {
        switch self {
        case .task(let id, _), .group(let id, _, _): return id
        }
    }

    /// The result this one follows in a chain.
    package var parent: ResultNode? {
        switch self {
        case .task(_, let parent), .group(_, _, let parent): return parent
        }
    }

    /// The same result with another parent.
    package func withParent(_ parent: ResultNode?) -> ResultNode {
        switch self {
        case .task(let id, _): return .task(id: id, parent: parent)
        case .group(let id, let members, _): return .group(id: id, members: members, parent: parent)
        }
    }

    /// Celery's `as_tuple()`: `[[id, parent], null]` for a task, `[[id, parent], [members]]` for a group.
    package var asTuple: JSONValue {
        switch self {
        case .task(let id, let parent):
            return [.array([.string(id), parent?.asTuple ?? .null]), .null]
        case .group(let id, let members, let parent):
            return [.array([.string(id), parent?.asTuple ?? .null]), .array(members.map(\.asTuple))]
        }
    }

    /// Reads Celery's `as_tuple()` form (`result_from_tuple`); `nil` when it is not one.
    package init?(tuple: JSONValue) {
        guard let head = tuple[0], let id = head[0]?.stringValue else { return nil }
        let parent = head[1].flatMap { $0.isNull ? nil : ResultNode(tuple: $0) }
        if let members = tuple[1]?.arrayValue {
            self = .group(id: id, members: members.compactMap(ResultNode.init(tuple:)), parent: parent)
        } else {
            self = .task(id: id, parent: parent)
        }
    }
}

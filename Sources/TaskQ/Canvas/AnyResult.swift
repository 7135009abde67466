/// A task's or a group's result, untyped: what `AsyncResult.parent` and `children` hold.
public enum AnyResult: Sendable {
    /// One task's result.
    case task(AsyncResult<JSONValue>)
    /// A group's results (a chord's header, a group step of a chain).
    case group(GroupResult<JSONValue>)

    init(node: ResultNode, app: App) {
        switch node {
        case .task: self = .task(AsyncResult(node: node, app: app))
        case .group: self = .group(GroupResult(node: node, app: app))
        }
    }

    /// The task or group id.
    public var id: String {
        switch self {
        case .task(let result): return result.id
        case .group(let result): return result.id
        }
    }

    /// The result this one follows in the workflow.
    public var parent: AnyResult? {
        switch self {
        case .task(let result): return result.parent
        case .group(let result): return result.parent
        }
    }
}

extension AsyncResult {
    /// The result of the step before this one in the chain the client sent (Celery's
    /// `AsyncResult.parent`); a chord's callback has its header group as parent.
    public var parent: AnyResult? { node.parent.map { AnyResult(node: $0, app: app) } }

    /// The tasks this task sent while it ran, as its stored record lists them (Celery's `children`).
    public var children: [AnyResult] {
        get async throws {
            let stored = try await app.fetchRecord(id)?.children.arrayValue ?? []
            return stored.compactMap(ResultNode.init(tuple:)).map { AnyResult(node: $0, app: app) }
        }
    }

    /// This result and the ones before it, last first: a chain walked back to its first step.
    public var ancestry: [AnyResult] {
        var chain: [AnyResult] = []
        var current = parent
        while let result = current {
            chain.append(result)
            current = result.parent
        }
        return chain
    }
}

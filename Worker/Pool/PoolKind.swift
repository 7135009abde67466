/// How a worker runs its tasks (Celery's `-P/--pool`).
public enum PoolKind: String, Sendable, CaseIterable {
    /// One task at a time per child process; `-c` children (Celery's default pool).
    case prefork
    /// Many tasks at once per child, as Swift tasks on its cooperative pool: `-c` concurrent tasks
    /// in all, spread over `--processes` children (Celery's gevent/eventlet pools, for I/O-bound work).
    case async
    /// One child running one task at a time.
    case solo
}

/// The shape of a worker's pool: how many children, and how many tasks each runs at once.
public struct PoolShape: Sendable, Equatable {
    /// The pool kind.
    public var kind: PoolKind
    /// Child processes.
    public var children: Int
    /// Tasks a child runs at once.
    public var tasksPerChild: Int

    /// The shape for `-P kind -c concurrency [--processes processes]`: prefork has `concurrency`
    /// children of one task each; solo one child of one task; async spreads `concurrency` tasks
    /// over `processes` children (default `cores`, never more children than tasks).
    public init(kind: PoolKind, concurrency: Int, processes: Int?, cores: Int) {
        self.kind = kind
        switch kind {
        case .prefork:
            children = max(1, concurrency)
            tasksPerChild = 1
        case .solo:
            children = 1
            tasksPerChild = 1
        case .async:
            children = max(1, min(processes ?? cores, concurrency))
            tasksPerChild = max(1, (concurrency + children - 1) / children)
        }
    }

    /// Tasks the whole pool runs at once.
    public var concurrency: Int { children * tasksPerChild }
}

import Foundation
import Logging
import TaskQ
@testable import TaskQWorker

/// A `SupervisorCore` driven by hand: events in, actions checked, the clock moved by the test.
struct CoreHarness {
    var core: SupervisorCore
    var now: Date
    private var nextTag = 0

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// `tasks.add` (short), `tasks.slow`, and any extra registrations.
    static func registrations(_ extra: [String: WorkerTaskOptions] = [:]) -> [FromChild.RegisteredTaskInfo] {
        var all: [String: WorkerTaskOptions] = ["tasks.add": WorkerTaskOptions(), "tasks.slow": WorkerTaskOptions(), "tasks.sleep": WorkerTaskOptions(),
                                                "tasks.spin": WorkerTaskOptions(), "tasks.crash": WorkerTaskOptions()]
        all.merge(extra) { _, new in new }
        return all.sorted { $0.key < $1.key }.map { FromChild.RegisteredTaskInfo(name: $0.key, options: $0.value) }
    }

    static func configuration(concurrency: Int = 2, _ adjust: (inout WorkerConfiguration) -> Void = { _ in }) -> WorkerConfiguration {
        var configuration = WorkerConfiguration(
            executable: "/bin/tasks", brokerURL: try! RedisURL("redis://127.0.0.1:6379/0"),
            backendURL: try! RedisURL("redis://127.0.0.1:6379/0"), concurrency: concurrency, queues: ["celery"],
            nodeName: "w1@test")
        adjust(&configuration)
        return configuration
    }

    /// A core that has not started yet.
    init(concurrency: Int = 2, logLevel: Logger.Level = .info, _ adjust: (inout WorkerConfiguration) -> Void = { _ in }) {
        now = Self.start
        core = SupervisorCore(configuration: Self.configuration(concurrency: concurrency, adjust), logLevel: logLevel, now: now)
    }

    /// A running core: children spawned and said hello with `tasks`, the claimer started.
    static func running(concurrency: Int = 2, tasks extra: [String: WorkerTaskOptions] = [:],
                        _ adjust: (inout WorkerConfiguration) -> Void = { _ in }) -> CoreHarness {
        var harness = CoreHarness(concurrency: concurrency, adjust)
        harness.startPool(tasks: registrations(extra))
        return harness
    }

    mutating func startPool(tasks: [FromChild.RegisteredTaskInfo]) {
        let spawned = handle(.started(revoked: []))
        for number in spawned.spawnedChildren { handle(.childSpawned(child: number, pid: Int32(1000 + number))) }
        for number in spawned.spawnedChildren { handle(.childHello(child: number, tasks: tasks)) }
    }

    @discardableResult
    mutating func handle(_ event: SupervisorEvent) -> [SupervisorAction] {
        core.handle(event, now: now)
    }

    /// Moves the clock and delivers a tick.
    @discardableResult
    mutating func tick(after seconds: Double = 0.1) -> [SupervisorAction] {
        now = now.addingTimeInterval(seconds)
        return handle(.tick)
    }

    /// A claimed message of `name`, with headers changed by `adjust`.
    mutating func message(_ name: String = "tasks.add", id: String? = nil, args: [JSONValue] = [1, 2],
                          eta: Date? = nil, expires: Date? = nil, timeLimits: (hard: Double?, soft: Double?) = (nil, nil),
                          deliveries: Int = 1, embed: [String: JSONValue] = TaskMessage.emptyEmbed,
                          groupID: String? = nil, extraHeaders: [String: JSONValue] = [:]) -> ClaimedMessage {
        nextTag += 1
        let taskID = id ?? "task-\(nextTag)"
        var message = TaskMessage.make(name: name, id: taskID, args: args, kwargs: [:], queue: "celery", eta: eta, expires: expires,
                                       groupID: groupID, timeLimits: timeLimits, origin: "test", extraHeaders: extraHeaders, embed: embed)
        message.properties["delivery_tag"] = .string("tag-\(nextTag)")
        return ClaimedMessage(queue: "celery", deliveryTag: "tag-\(nextTag)", envelope: message.envelope(), deliveries: deliveries)
    }

    /// Claims messages and returns the actions.
    @discardableResult
    mutating func claim(_ messages: ClaimedMessage...) -> [SupervisorAction] {
        handle(.claimed(messages))
    }

    /// The child reports job `job` done with `outcome`.
    @discardableResult
    mutating func done(_ job: Int, outcome: JobOutcome = .success(result: 3), after seconds: Double = 0.001) -> [SupervisorAction] {
        now = now.addingTimeInterval(seconds)
        let child = core.jobs[job]?.child ?? 0
        return handle(.childDone(child: child, job: job, outcome: outcome, residentKiB: nil))
    }

    /// The job for task id `id`, wherever it is held.
    func job(_ id: String) -> Job? {
        core.jobs.values.first { $0.message.id == id } ?? core.pending.first { $0.message.id == id }
    }
}

/// Reading actions in tests.
extension Array where Element == SupervisorAction {
    var spawnedChildren: [Int] { compactMap { if case .spawnChild(let n) = $0 { return n } else { return nil } } }
    /// (child, task id) of each run frame.
    var runs: [(child: Int, id: String)] {
        compactMap { if case .sendRun(let child, let job, _) = $0 { return (child, job.message.id) } else { return nil } }
    }
    var runIDs: [String] { runs.map(\.id) }
    var softLimits: [Double?] { compactMap { if case .sendRun(_, _, let soft) = $0 { return soft } else { return nil } } }
    var stores: [(record: ResultRecord, ackTag: String?)] {
        compactMap { if case .store(let record, let tag) = $0 { return (record, tag) } else { return nil } }
    }
    func stored(_ id: String) -> ResultRecord? { stores.first { $0.record.taskID == id }?.record }
    var acks: [String] { compactMap { if case .ack(let tag) = $0 { return tag } else { return nil } } }
    var restored: [(deliveries: [Delivery], counted: Bool)] {
        compactMap { if case .restore(let d, let counted) = $0 { return (d, counted) } else { return nil } }
    }
    var restoredTags: [String] { restored.flatMap { $0.deliveries.map(\.tag) } }
    var scheduled: [(message: TaskMessage, due: Date, replacing: String?)] {
        compactMap { if case .schedule(let m, let due, _, let old) = $0 { return (m, due, old) } else { return nil } }
    }
    var deadLetters: [(tag: String, reason: String)] {
        compactMap { if case .deadLetter(let tag, let reason, _) = $0 { return (tag, reason) } else { return nil } }
    }
    var kills: [(child: Int, signal: Int32)] {
        compactMap { if case .killChild(let c, let s) = $0 { return (c, s) } else { return nil } }
    }
    var exitRequests: [Int] { compactMap { if case .askChildToExit(let c) = $0 { return c } else { return nil } } }
    var drops: [(child: Int, job: Int)] { compactMap { if case .sendDrop(let c, let j) = $0 { return (c, j) } else { return nil } } }
    var granted: Int { reduce(0) { if case .grantCredits(let n) = $1 { return $0 + n } else { return $0 } } }
    /// The task events published (task events on).
    var taskEvents: [(kind: TaskEventKind, id: String)] {
        compactMap { if case .taskEvent(let kind, let job, _, true) = $0 { return (kind, job.message.id) } else { return nil } }
    }
    /// Every task event, published or not: what the monitor's history records.
    var historyEvents: [(kind: TaskEventKind, id: String)] {
        compactMap { if case .taskEvent(let kind, let job, _, _) = $0 { return (kind, job.message.id) } else { return nil } }
    }
    var workerEvents: [WorkerEventKind] { compactMap { if case .workerEvent(let k) = $0 { return k } else { return nil } } }
    var sharedTokenRequests: [Int] { compactMap { if case .askSharedToken(let job, _, _) = $0 { return job } else { return nil } } }
    var wakes: [Double] { compactMap { if case .wake(let s) = $0 { return s } else { return nil } } }
    var published: [TaskMessage] { flatMap { if case .publishCanvas(_, let sent) = $0 { return sent.map(\.message) } else { return [] } } }
    var republished: [TaskMessage] { compactMap { if case .republish(let m, _) = $0 { return m } else { return nil } } }
    var replies: [JSONValue] { compactMap { if case .reply(_, let v) = $0 { return v } else { return nil } } }
    var chordJoins: [ChordJoinRequest] { compactMap { if case .joinChord(let r) = $0 { return r } else { return nil } } }
    var logs: [String] { compactMap { if case .log(_, let text) = $0 { return text } else { return nil } } }
    var aborted: String? { lazy.compactMap { if case .abort(let r) = $0 { return r } else { return nil } }.first }
    func contains(_ probe: (SupervisorAction) -> Bool) -> Bool { self.contains(where: probe) }
    var stops: Bool { contains { if case .stop = $0 { return true } else { return false } } }
    var flushes: Bool { contains { if case .flushWrites = $0 { return true } else { return false } } }
    var stopsClaimer: Bool { contains { if case .stopClaimer = $0 { return true } else { return false } } }
    var startsClaimer: [[String]] { compactMap { if case .startClaimer(let q) = $0 { return q } else { return nil } } }
    var marksGone: Bool { contains { if case .markGone = $0 { return true } else { return false } } }
}

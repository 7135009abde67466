import FoundationEssentials
import Synchronization
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Learns the periodic entries an app defines in code the way a worker learns its tasks: it
/// starts the app's executable as a pool child, reads its hello, and asks it to exit.
enum AppScheduleLoader {
    /// The entries of the app at `executable`, in the order its code added them. Entries whose
    /// JSON cannot be read are reported in `refused` (name and reason) rather than thrown.
    static func load(executable: String, brokerURL: RedisURL, timeout: Double = 30) async throws
        -> (app: String, entries: [ScheduleEntry], refused: [(name: String, reason: String)]) {
        let reactor = FrameReactor()
        reactor.start(name: "taskq.beat.app")
        let answer = HelloAnswer()
        let child = try ChildProcess(
            number: 0, executable: executable,
            environment: ["TASKQ_BROKER_URL": brokerURL.unmasked, ChildServer.poolVariable: "prefork"], reactor: reactor,
            onFrame: { frame in
                if case .hello(_, let app, _, let schedule)? = try? FromChild(frame: frame) { answer.give(.success((app, schedule))) }
            },
            onExit: { status, signaled in
                answer.give(.failure(WorkerError("the app \(executable) exited (\(signaled ? "signal" : "status") \(status)) before it said which tasks and schedules it has")))
            })
        let hello = try await answer.wait(timeout: timeout, what: executable)
        child.requestShutdown()
        var entries: [ScheduleEntry] = []
        var refused: [(String, String)] = []
        for json in hello.schedule {
            do {
                entries.append(try ScheduleEntry(json: json))
            } catch {
                refused.append((json["name"]?.stringValue ?? "?", "\(error)"))
            }
        }
        return (hello.app, entries, refused)
    }
}

/// The first answer of a starting app: its hello, or its exit.
private final class HelloAnswer: Sendable {
    typealias Hello = (app: String, schedule: [JSONValue])
    private let state = Mutex<(result: Result<Hello, WorkerError>?, waiter: CheckedContinuation<Hello, any Error>?)>((nil, nil))

    func give(_ result: Result<Hello, WorkerError>) {
        let waiter: CheckedContinuation<Hello, any Error>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }

    func wait(timeout: Double, what: String) async throws -> Hello {
        Task {
            try await Task.sleep(for: .seconds(timeout))
            give(.failure(WorkerError("the app \(what) did not say hello within \(Int(timeout)) s")))
        }
        return try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Hello, WorkerError>? = state.withLock { state in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }
}

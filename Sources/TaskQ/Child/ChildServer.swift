import CProcessControl
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The child side of the pool protocol: runs task bodies for a supervising worker.
///
/// The worker starts the app's executable with `TASKQ_CHILD=1`. Frames travel
/// on stdin/stdout; anything the task code prints goes to stderr, which the
/// worker copies to its log. A prefork child runs tasks one at a time, in the order
/// their `run` frames came: the worker may send a short task's frame while another
/// runs, so the child has its next task at hand, and a crash still takes only one task;
/// those task bodies run on the child's `FrameReactor` thread, which also reads the frames.
/// An async child (`TASKQ_CHILD_POOL=async`) runs every task it is sent at once,
/// as Swift tasks on the cooperative pool.
package final class ChildServer: Sendable {
    /// The environment variable that tells a child its pool kind (`async` runs tasks at once).
    package static let poolVariable = "TASKQ_CHILD_POOL"

    private struct Jobs {
        /// Running jobs by job number.
        var running: [Int: Task<Void, Never>] = [:]
        var softLimited: Set<Int> = []
        /// The soft time limit timers of running jobs, cancelled when their job ends.
        var softTimers: [Int: Task<Void, Never>] = [:]
        var shuttingDown = false
        /// The task started last: the next one runs after it.
        var tail: Task<Void, Never>?
        /// Jobs the worker revoked while they waited their turn.
        var dropped: Set<Int> = []
    }

    private let app: App
    private let output: FrameWriter
    private let jobs = Mutex(Jobs())
    /// Whether tasks run at once (async pool) instead of one after another.
    private let concurrent: Bool

    /// The thread that reads frames and runs task bodies.
    private let loop: FrameReactor

    /// Serves the pool protocol until the worker says shutdown or closes stdin; then exits.
    package static func serve(app: App) async -> Never {
        dieWithSupervisor()
        let framesOut = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        signal(SIGPIPE, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let loop = FrameReactor()
        let server = ChildServer(app: app, output: FrameWriter(descriptor: framesOut), loop: loop)
        server.sayHello()
        loop.watch(STDIN_FILENO, onFrame: { frame in
            server.handle(frame)
        }, onEnd: { _ in
            server.beginShutdown()
        })
        loop.start(name: "taskq.child")
        // The process ends by exit() once shutdown is done; until then this task just waits.
        while true { try? await Task.sleep(for: .seconds(3600)) }
    }

    /// Makes the kernel SIGKILL this child when its supervisor dies (a supervisor killed with
    /// SIGKILL cannot stop its children), and exits at once if the supervisor that started
    /// it is already gone (it died before the request was made).
    private static func dieWithSupervisor() {
        if taskq_die_with_parent() != 0 {
            let line = Array("taskq child: cannot ask to die with the worker (prctl: errno \(errno)); an orphaned child may outlive a killed worker\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
        if let expected = ProcessInfo.processInfo.environment["TASKQ_SUPERVISOR_PID"].flatMap({ Int32($0) }), getppid() != expected {
            _exit(0)
        }
    }

    private init(app: App, output: FrameWriter, loop: FrameReactor) {
        self.app = app
        self.output = output
        self.loop = loop
        concurrent = ProcessInfo.processInfo.environment[Self.poolVariable] == "async"
    }

    private func sayHello() {
        let tasks = app.registry.all.map { FromChild.RegisteredTaskInfo(name: $0.name, options: WorkerTaskOptions($0.options)) }
        output.send(FromChild.hello(pid: Int(getpid()), app: app.name, tasks: tasks, schedule: app.schedules.all.map(\.json)).frame)
    }

    private func handle(_ frame: JSONValue) {
        let message: ToChild
        do {
            message = try ToChild(frame: frame)
        } catch {
            let line = Array("taskq child: ignoring a frame: \(error)\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            return
        }
        switch message {
        case .run(let request):
            start(request)
        case .drop(let job):
            // Revoked while waiting here: it is answered "dropped" when its turn comes, unrun.
            _ = jobs.withLock { $0.dropped.insert(job) }
        case .cancel(let job):
            jobs.withLock { $0.running[job] }?.cancel()
        case .shutdown:
            beginShutdown()
        }
    }

    private func beginShutdown() {
        let wait: [Task<Void, Never>]? = jobs.withLock { jobs in
            if jobs.shuttingDown { return nil }
            jobs.shuttingDown = true
            return Array(jobs.running.values)
        }
        guard let wait else { return }
        Task.detached {
            for job in wait { await job.value }
            exit(0)
        }
    }

    private func start(_ request: ToChild.RunRequest) {
        let job = request.job
        let name = request.task
        let softLimit = request.softTimeLimit
        let call = TaskCall(args: request.args, kwargs: request.kwargs)
        let app = self.app
        let makeContext: @Sendable () -> TaskContext = {
            TaskContext(id: request.id, name: name, retries: request.retries, rootID: request.rootID,
                        parentID: request.parentID, softTimeLimit: softLimit, workflow: request.workflow, app: app)
        }
        let concurrent = self.concurrent
        jobs.withLock { jobs in
            let previous = concurrent ? nil : jobs.tail
            // Prefork: on the loop's thread (see FrameReactor), after the task started before it.
            // Async: on the cooperative pool, at once.
            let task = Task(executorPreference: concurrent ? globalConcurrentExecutor : loop) { [self] in
                await previous?.value
                let outcome: JobOutcome
                if self.jobs.withLock({ $0.dropped.contains(job) }) {
                    outcome = .dropped
                } else {
                    if let softLimit { self.startSoftTimer(job: job, seconds: softLimit) }
                    outcome = await self.execute(name: name, call: call, context: makeContext(), job: job, softLimit: softLimit)
                }
                self.jobs.withLock { jobs in
                    jobs.running[job] = nil
                    jobs.softLimited.remove(job)
                    jobs.dropped.remove(job)
                    jobs.softTimers.removeValue(forKey: job)?.cancel()
                }
                self.output.send(FromChild.done(job: job, outcome: outcome).frame)
            }
            jobs.tail = task
            jobs.running[job] = task
        }
    }

    /// Cancels the job's task when its soft time limit passes, counting from now (its start).
    private func startSoftTimer(job: Int, seconds: Double) {
        let timer = Task.detached { [self] in
            guard (try? await Task.sleep(for: .seconds(seconds))) != nil else { return }
            let target: Task<Void, Never>? = self.jobs.withLock { jobs in
                guard let target = jobs.running[job] else { return nil }
                jobs.softLimited.insert(job)
                return target
            }
            target?.cancel()
        }
        jobs.withLock { $0.softTimers[job] = timer }
    }

    private func execute(name: String, call: TaskCall, context: TaskContext, job: Int, softLimit: Double?) async -> JobOutcome {
        guard let task = app.registry.task(named: name) else {
            return failure(ExceptionInfo.notRegistered(name), name: name)
        }
        do {
            let value = try await TaskContext.$current.withValue(context) { try await task.run(call) }
            return .success(result: value)
        } catch is TaskReplaced {
            return .replaced
        } catch {
            let softLimitHit = jobs.withLock { $0.softLimited.contains(job) }
            if softLimitHit && (error is CancellationError || error is SoftTimeLimitExceeded) {
                let info = ExceptionInfo(type: "SoftTimeLimitExceeded", arguments: [.double(softLimit ?? 0)], module: "billiard.exceptions")
                return failure(info, name: name)
            }
            return decideAfterError(error, task: task, context: context)
        }
    }

    /// Turns an error into a retry or a failure outcome (see `RetryDecision`).
    private func decideAfterError(_ error: any Error, task: RegisteredTask, context: TaskContext) -> JobOutcome {
        RetryDecision.outcome(after: error, options: task.options, name: task.name, id: context.id,
                              retries: context.retries, module: app.name)
    }

    private func failure(_ info: ExceptionInfo, name: String) -> JobOutcome {
        RetryDecision.failure(info, name: name)
    }
}

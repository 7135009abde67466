import ArgumentParser
import TaskQWorkerCommand

// `taskq-worker ARGS` is `taskq worker ARGS`, in a binary that holds only the worker.
do {
    let worker = try WorkerCommand.parse()
    try await worker.runWorker()
} catch {
    WorkerCommand.exit(withError: error)
}

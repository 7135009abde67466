import ArgumentParser
import TaskQWorkerCommand

/// `taskq`: run workers and talk to a TaskQ (or Celery) deployment.
@main
struct TaskQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskq",
        abstract: "A background task queue for Swift that speaks Celery's wire format.",
        subcommands: [WorkerCommand.self, BeatCommand.self, MonitorCommand.self, CallCommand.self, ResultCommand.self,
                      InspectCommand.self, EventsCommand.self, PurgeCommand.self, BenchCommand.self])
}

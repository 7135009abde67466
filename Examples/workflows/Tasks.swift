import TaskQ

/// The client's handles on the example app's tasks (`Examples/tasks`), which a worker runs.
/// Nothing runs here: `remoteTask` only names a task and its types.
struct ExampleTasks {
    let app: App
    let add: TaskDefinition<Int, Int, Int>
    let mul: TaskDefinition<Int, Int, Int>
    let xsum: TaskDefinition<[Int], Int>
    let fail: TaskDefinition<String, Int>
    let recordError: TaskDefinition<String, String>

    init(app: App) {
        let add = app.remoteTask("tasks.add", arguments: Int.self, Int.self, returns: Int.self)
        let mul = app.remoteTask("tasks.mul", arguments: Int.self, Int.self, returns: Int.self)
        let xsum = app.remoteTask("tasks.xsum", arguments: [Int].self, returns: Int.self)
        let fail = app.remoteTask("tasks.fail", arguments: String.self, returns: Int.self)
        let recordError = app.remoteTask("tasks.record_error", arguments: String.self, returns: String.self)
        (self.app, self.add, self.mul, self.xsum, self.fail, self.recordError) = (app, add, mul, xsum, fail, recordError)
    }
}

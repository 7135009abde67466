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
        self.app = app
        add = app.remoteTask("tasks.add", arguments: Int.self, Int.self, returns: Int.self)
        mul = app.remoteTask("tasks.mul", arguments: Int.self, Int.self, returns: Int.self)
        xsum = app.remoteTask("tasks.xsum", arguments: [Int].self, returns: Int.self)
        fail = app.remoteTask("tasks.fail", arguments: String.self, returns: Int.self)
        recordError = app.remoteTask("tasks.record_error", arguments: String.self, returns: String.self)
    }
}

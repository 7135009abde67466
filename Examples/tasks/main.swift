import Foundation
import TaskQ

/// The error `tasks.fail` throws, carrying the caller's message.
struct DemoError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

let app = App("tasks")

/// `seconds` when it is a sensible wait for an example task (0 to a day), else an error naming the task.
func checkedSeconds(_ seconds: Double, for task: String) throws -> Double {
    guard seconds.isFinite, (0...86_400).contains(seconds) else {
        throw DemoError(message: "\(task): \(seconds) is not a number of seconds from 0 to 86400")
    }
    return seconds
}

/// `result` unless the arithmetic overflowed a 64-bit Int (Python's ints never do: say so instead of trapping).
func checkedInt(_ result: (partialValue: Int, overflow: Bool), _ what: String) throws -> Int {
    guard !result.overflow else { throw DemoError(message: "\(what) does not fit a 64-bit Int") }
    return result.partialValue
}

let add = app.task("tasks.add", parameters: ["x", "y"]) { (x: Int, y: Int) in
    try checkedInt(x.addingReportingOverflow(y), "\(x) + \(y)")
}

let mul = app.task("tasks.mul", parameters: ["x", "y"]) { (x: Int, y: Int) in
    try checkedInt(x.multipliedReportingOverflow(by: y), "\(x) * \(y)")
}

app.task("tasks.xsum", parameters: ["numbers"]) { (numbers: [Int]) in
    try numbers.reduce(0) { try checkedInt($0.addingReportingOverflow($1), "the sum") }
}

app.task("tasks.sleep", parameters: ["seconds"]) { (seconds: Double) in
    try await Task.sleep(for: .seconds(try checkedSeconds(seconds, for: "tasks.sleep")))
    return seconds
}

app.task("tasks.fail", options: TaskOptions(maxRetries: 0), parameters: ["message"]) { (message: String) -> Int in
    throw DemoError(message: message)
}

app.task("tasks.crash") { () -> Int in
    let empty: [Int] = []
    return empty[Int.random(in: 0..<1)]
}

/// Returns at once, or traps when asked: a short task that sometimes takes its child down.
app.task("tasks.fragile", parameters: ["crash"]) { (crash: Bool) -> Bool in
    if crash {
        let empty: [Int] = []
        return empty[Int.random(in: 0..<1)] > 0
    }
    return false
}

app.rawTask("tasks.echo") { call in .object(call.kwargs) }

app.task("tasks.spin", parameters: ["seconds"]) { (seconds: Double) -> Double in
    let deadline = Date().addingTimeInterval(try checkedSeconds(seconds, for: "tasks.spin"))
    var counter = 0.0
    while Date() < deadline { counter += 1 }
    return seconds
}

/// Works for `seconds` in small steps and cleans up when its soft time limit passes.
app.task("tasks.soft_aware", parameters: ["seconds"]) { (seconds: Double) -> String in
    let deadline = Date().addingTimeInterval(try checkedSeconds(seconds, for: "tasks.soft_aware"))
    do {
        while Date() < deadline {
            try TaskContext.checkSoftTimeLimit()
            try? await Task.sleep(for: .milliseconds(20))
        }
        return "finished"
    } catch let exceeded as SoftTimeLimitExceeded {
        return "cleaned up after the soft time limit (\(exceeded.limit) s)"
    }
}

// Tasks that show worker semantics: retries, rate limits, redelivery.

/// The error `tasks.flaky` throws until it has been retried enough times.
struct FlakyError: Error, CustomStringConvertible {
    let attempt: Int
    var description: String { "flaky failure on attempt \(attempt)" }
}

app.task("tasks.flaky", options: TaskOptions(maxRetries: 5, retryBackoff: true, retryBackoffBase: .milliseconds(200),
                                             retryJitter: false, autoretryFor: [.type(FlakyError.self)]),
         parameters: ["failures"]) { (failures: Int) -> Int in
    let retries = TaskContext.current?.retries ?? 0
    if retries < failures { throw FlakyError(attempt: retries + 1) }
    return retries
}

app.task("tasks.always_fails", options: TaskOptions(maxRetries: 3, retryBackoff: true, retryBackoffBase: .milliseconds(300),
                                                    retryJitter: false, autoretryFor: [.anyError])) { () -> Int in
    throw FlakyError(attempt: (TaskContext.current?.retries ?? 0) + 1)
}

app.task("tasks.retry_later", options: TaskOptions(maxRetries: 1), parameters: ["seconds"]) { (seconds: Double) -> Int in
    let retries = TaskContext.current?.retries ?? 0
    if retries == 0 { throw Retry(countdown: .seconds(try checkedSeconds(seconds, for: "tasks.retry_later"))) }
    return retries
}

app.task("tasks.limited", options: TaskOptions(rateLimit: "10/s"), parameters: ["x"]) { (x: Int) in x }

app.task("tasks.shared_limited", options: TaskOptions(globalRateLimit: "20/s"), parameters: ["x"]) { (x: Int) in x }

app.task("tasks.poison", options: TaskOptions(acksLate: true, rejectOnWorkerLost: true)) { () -> Int in
    let empty: [Int] = []
    return empty[Int.random(in: 0..<1)]
}

/// Sleeps `seconds`, then appends the task's id as one line to the file at `path`: the side
/// effect the fault suite counts to find tasks that were lost or ran twice.
app.task("tasks.record", parameters: ["path", "seconds"]) { (path: String, seconds: Double) -> String in
    if try checkedSeconds(seconds, for: "tasks.record") > 0 { try await Task.sleep(for: .seconds(seconds)) }
    let line = Array(((TaskContext.current?.id ?? "") + "\n").utf8)
    let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard descriptor >= 0 else { throw DemoError(message: "cannot open \(path) for appending (errno \(errno))") }
    defer { close(descriptor) }
    // One write of one short line to an O_APPEND file: lines from concurrent children never interleave.
    guard line.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == line.count else {
        throw DemoError(message: "short write to \(path)")
    }
    return TaskContext.current?.id ?? ""
}

/// Says what time it is where it ran: the demo's periodic task.
let tick = app.task("tasks.tick") { () -> String in
    "tick at \(Date())"
}

// Periodic tasks: `taskq beat -A tasks` (or `taskq worker -A tasks -B`) sends them.
try app.schedule("demo-tick", every: .seconds(10), task: tick)
try app.schedule("weekday-report", crontab: Crontab(minute: "0", hour: "9", dayOfWeek: "mon-fri"), timeZone: "Europe/Berlin",
                 task: app.task("tasks.report", parameters: ["kind"]) { (kind: String) in "\(kind) report" }, "daily")

registerWorkflowTasks(in: app, add: add, mul: mul)

try await app.run()

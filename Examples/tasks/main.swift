import Foundation
import TaskQ

/// The error `tasks.fail` throws, carrying the caller's message.
struct DemoError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

let app = App("tasks")

app.task("tasks.add", parameters: ["x", "y"]) { (x: Int, y: Int) in x + y }

app.task("tasks.mul", parameters: ["x", "y"]) { (x: Int, y: Int) in x * y }

app.task("tasks.xsum", parameters: ["numbers"]) { (numbers: [Int]) in numbers.reduce(0, +) }

app.task("tasks.sleep", parameters: ["seconds"]) { (seconds: Double) in
    try await Task.sleep(for: .seconds(seconds))
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
    let deadline = Date().addingTimeInterval(seconds)
    var counter = 0.0
    while Date() < deadline { counter += 1 }
    return seconds
}

/// Works for `seconds` in small steps and cleans up when its soft time limit passes.
app.task("tasks.soft_aware", parameters: ["seconds"]) { (seconds: Double) -> String in
    let deadline = Date().addingTimeInterval(seconds)
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
    if retries == 0 { throw Retry(countdown: .milliseconds(Int(seconds * 1000))) }
    return retries
}

app.task("tasks.limited", options: TaskOptions(rateLimit: "10/s"), parameters: ["x"]) { (x: Int) in x }

app.task("tasks.shared_limited", options: TaskOptions(globalRateLimit: "20/s"), parameters: ["x"]) { (x: Int) in x }

app.task("tasks.poison", options: TaskOptions(acksLate: true, rejectOnWorkerLost: true)) { () -> Int in
    let empty: [Int] = []
    return empty[Int.random(in: 0..<1)]
}

try await app.run()

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

app.rawTask("tasks.echo") { call in .object(call.kwargs) }

app.task("tasks.spin", parameters: ["seconds"]) { (seconds: Double) -> Double in
    let deadline = Date().addingTimeInterval(seconds)
    var counter = 0.0
    while Date() < deadline { counter += 1 }
    return seconds
}

try await app.run()

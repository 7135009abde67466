import Foundation
import TaskQ

/// The calls a benchmark sends: a task name, its arguments for the i-th call, and its id.
struct BenchWorkload: Sendable {
    let task: String
    /// Arguments for every call; `nil` means `[i, i]` for the i-th call.
    let fixedArgs: [JSONValue]?
    /// When set, the i-th call's id is `<prefix>-<i>`.
    let idPrefix: String?
    let options: SendOptions

    func args(_ index: Int) -> [JSONValue] {
        fixedArgs ?? [.int(index), .int(index)]
    }

    func options(_ index: Int) -> SendOptions {
        guard let idPrefix else { return options }
        var options = options
        options.taskID = "\(idPrefix)-\(index)"
        return options
    }

    func call(_ index: Int) -> BatchCall {
        BatchCall(name: task, args: args(index), kwargs: [:], options: options(index))
    }
}

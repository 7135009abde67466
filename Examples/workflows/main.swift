import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

// Workflows built in Swift, from the command line:
//   workflows guide                 run docs/workflows.md's examples (a worker running `tasks` must be up)
//   workflows SCENARIO [--queue Q]  one workflow for the interop tests (see Scenarios.swift); prints JSON

let app = App("workflows")
let tasks = ExampleTasks(app: app)
let arguments = Array(CommandLine.arguments.dropFirst())
do {
    let output: JSONValue
    if arguments.first == "guide" {
        output = .object(try await runGuide(tasks))
    } else {
        output = try await Scenarios(tasks: tasks, arguments: arguments).run()
    }
    print(output.jsonText)
} catch {
    let line = Array("workflows: \(error)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(1)
}

import Foundation
import Testing

/// docs/workflows.md shows only compiled code: each of its Swift blocks appears, line for
/// line (indentation aside), in the example targets that `swift build` compiles.
@Suite("The workflow guide's code")
struct WorkflowGuideTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func swiftBlocks(in markdown: String) -> [[String]] {
        var blocks: [[String]] = []
        var current: [String]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```swift") {
                current = []
            } else if current != nil, line.hasPrefix("```") {
                blocks.append(lines(current!.joined(separator: "\n")))
                current = nil
            } else {
                current?.append(String(line))
            }
        }
        return blocks
    }

    @Test("every Swift block of docs/workflows.md is in Examples/workflows or Examples/tasks")
    func blocksAreCompiled() throws {
        let guide = try String(contentsOf: Self.root.appendingPathComponent("docs/workflows.md"), encoding: .utf8)
        var sources: [String] = []
        for folder in ["Examples/workflows", "Examples/tasks"] {
            let directory = Self.root.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where file.hasSuffix(".swift") {
                sources += Self.lines(try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8))
            }
        }
        let blocks = Self.swiftBlocks(in: guide)
        #expect(blocks.count >= 8)
        for block in blocks {
            let found = sources.indices.contains { start in
                start + block.count <= sources.count && Array(sources[start..<(start + block.count)]) == block
            }
            #expect(found, "not in the examples:\n\(block.joined(separator: "\n"))")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The `taskq-worker` executable: the worker alone, without the monitor's HTTP stack
/// and the other commands, so the process that supervises children stays small.
///
/// `taskq worker ARGS` replaces itself with `taskq-worker ARGS` when that file is
/// installed beside `taskq` (as the build and the Docker image put it); without it,
/// the worker runs inside `taskq` as before.
enum WorkerBinary {
    /// The file name looked for beside the running executable.
    static let fileName = "taskq-worker"

    /// Execs `taskq-worker` with this command's arguments, unless this already is it or
    /// it is not installed; returns only in those cases.
    static func handOverIfInstalled() {
        guard let executable = runningExecutable() else { return }
        let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let own = executable.split(separator: "/").last.map(String.init) ?? ""
        guard own != fileName else { return }
        let candidate = directory + "/" + fileName
        guard access(candidate, X_OK) == 0 else { return }
        let arguments = CommandLine.arguments
        guard let subcommand = arguments.dropFirst().firstIndex(of: "worker") else { return }
        let passed = [candidate] + arguments[(subcommand + 1)...]
        var argv: [UnsafeMutablePointer<CChar>?] = passed.map { strdup($0) } + [nil]
        execv(candidate, &argv)
        // execv returned: it failed; run in this process instead.
        for pointer in argv { free(pointer) }
    }

    /// The path of the running executable, from /proc/self/exe.
    private static func runningExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

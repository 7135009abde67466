import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Finds the app executable named by `-A`: a path, then `./.build/release/NAME`,
/// `./.build/debug/NAME`, then `$PATH`.
public enum ExecutableLocator {
    /// The resolved path, or an error that lists where it looked.
    public static func locate(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let files = FileManager.default
        var tried: [String] = []
        func usable(_ path: String) -> Bool {
            tried.append(path)
            var info = stat()
            return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
        }
        if name.contains("/") {
            let path = URL(fileURLWithPath: name).standardizedFileURL.path
            if usable(path) { return path }
        } else {
            let cwd = files.currentDirectoryPath
            for folder in [".build/release", ".build/debug"] {
                let path = "\(cwd)/\(folder)/\(name)"
                if usable(path) { return path }
            }
            for folder in (environment["PATH"] ?? "").split(separator: ":") {
                let path = "\(folder)/\(name)"
                if usable(path) { return path }
            }
        }
        throw WorkerError("cannot find the app executable '\(name)' (looked in: \(tried.joined(separator: ", "))); build it with 'swift build' or pass a path to -A")
    }
}

/// A worker failure a person can act on.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    /// What failed and what to do.
    public let description: String

    /// Creates an error with its message.
    public init(_ description: String) {
        self.description = description
    }
}

import FoundationEssentials

/// Where a Redis server is: `redis://[:password@]host:port/db` or `unix:///path?db=N`.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    /// How to reach the server.
    public enum Endpoint: Sendable, Equatable {
        /// A TCP host and port.
        case tcp(host: String, port: Int)
        /// A Unix domain socket path.
        case unix(path: String)
    }

    /// How to reach the server.
    public var endpoint: Endpoint
    /// The database number to SELECT.
    public var database: Int
    /// The ACL user name, if any.
    public var username: String?
    /// The password for AUTH, if any.
    public var password: String?

    /// Parses a URL such as `redis://:secret@127.0.0.1:6379/1`.
    public init(_ text: String) throws {
        let invalid = { (why: String) in
            RedisError(.invalidURL, "invalid Redis URL '\(RedisURL.masked(text))': \(why); expected redis://[:password@]host:port/db or unix:///path?db=N")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw invalid("cannot parse it")
        }
        let user = components.percentEncodedUser.flatMap(PercentEncoding.decode)
        username = (user?.isEmpty ?? true) ? nil : user
        password = components.percentEncodedPassword.flatMap(PercentEncoding.decode)
        let queryDB = components.queryItems?.first { $0.name == "db" }?.value.flatMap { Int($0) }
        switch scheme {
        case "redis":
            let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            endpoint = .tcp(host: host, port: components.port ?? 6379)
            let path = components.path.trimmed { $0 == "/" }
            if path.isEmpty {
                database = queryDB ?? 0
            } else if let number = Int(path), number >= 0 {
                database = number
            } else {
                throw invalid("the database '\(path)' is not a number")
            }
        case "unix", "redis+socket":
            guard !components.path.isEmpty else { throw invalid("no socket path") }
            endpoint = .unix(path: components.path)
            database = queryDB ?? 0
        default:
            throw invalid("unsupported scheme '\(scheme)'")
        }
    }

    /// The same server with another database number.
    public func withDatabase(_ database: Int) -> RedisURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL with the password replaced by `***`, safe to print.
    public var description: String { text(password: password.map { _ in "***" }) }

    /// The URL with its password, for handing to another TaskQ process or client connection;
    /// never printed (the description masks it).
    package var unmasked: String {
        text(password: password.map(PercentEncoding.encodeAllButAlphanumerics))
    }

    private func text(password shown: String?) -> String {
        let auth: String
        switch (username, shown) {
        case (nil, nil): auth = ""
        case (let user?, nil): auth = "\(user)@"
        case (let user, let secret?): auth = "\(user ?? ""):\(secret)@"
        }
        switch endpoint {
        case .tcp(let host, let port): return "redis://\(auth)\(host):\(port)/\(database)"
        case .unix(let path): return "unix://\(auth)\(path)?db=\(database)"
        }
    }

    /// Masks a password inside an unparsed URL string.
    static func masked(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let schemeEnd = text.firstRange(of: "://") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}

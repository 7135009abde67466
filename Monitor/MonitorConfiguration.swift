import TaskQ

/// How `taskq monitor` is started.
public struct MonitorConfiguration: Sendable {
    /// The broker (where workers record history and status).
    public var brokerURL: RedisURL
    /// The result backend (for `/api/task/result`).
    public var backendURL: RedisURL
    /// The address to bind; loopback by default.
    public var address: String
    /// The port. Default 5555, as Flower's.
    public var port: Int
    /// `user:password` for HTTP basic auth, if set.
    public var basicAuth: (user: String, password: String)?
    /// Allows binding a non-loopback address without auth.
    public var unsafeNoAuth: Bool
    /// Host names answered besides the loopback ones while no auth is set (`--allowed-hosts`).
    public var allowedHosts: [String] = []
    /// Seconds a connection may take to send a request's headers, or sit idle between
    /// requests, before it is closed (`--idle-timeout`).
    public var idleTimeout: Double = 10
    /// Connections served at once (`--max-connections`); past it the oldest connection
    /// still waiting for its request headers is closed to make room.
    public var maxConnections: Int = 1_000

    /// Creates a configuration.
    public init(brokerURL: RedisURL, backendURL: RedisURL, address: String = "127.0.0.1", port: Int = 5555,
                basicAuth: (user: String, password: String)? = nil, unsafeNoAuth: Bool = false) {
        self.brokerURL = brokerURL
        self.backendURL = backendURL
        self.address = address
        self.port = port
        self.basicAuth = basicAuth
        self.unsafeNoAuth = unsafeNoAuth
    }

    /// Whether the address only accepts local connections.
    public var isLoopback: Bool {
        address == "localhost" || address == "::1" || address.hasPrefix("127.")
    }

    /// Refuses unsafe combinations: a non-loopback address with no auth.
    public func validate() throws {
        guard idleTimeout > 0 && idleTimeout <= 3600 else {
            throw MonitorError.badRequest("--idle-timeout must be a number of seconds above 0 and at most 3600, not \(idleTimeout)")
        }
        guard maxConnections >= 1 else {
            throw MonitorError.badRequest("--max-connections must be at least 1, not \(maxConnections)")
        }
        if !isLoopback && basicAuth == nil && !unsafeNoAuth {
            throw MonitorError.badRequest("refusing to serve the monitor on \(address) without authentication: set --basic-auth user:password (or TASKQ_MONITOR_AUTH), or pass --unsafe-no-auth if the network is trusted")
        }
    }

    /// Parses `user:password`.
    public static func parseAuth(_ text: String) throws -> (user: String, password: String) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
            throw MonitorError.badRequest("--basic-auth must be user:password")
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

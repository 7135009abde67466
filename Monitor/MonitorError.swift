import Hummingbird

/// An API error with its HTTP status; rendered as `{"error": message}`.
public struct MonitorError: Error, CustomStringConvertible, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// What went wrong.
    public let message: String

    /// 400: the request's input is wrong.
    public static func badRequest(_ message: String) -> MonitorError { MonitorError(status: .badRequest, message: message) }
    /// 404: no such task, worker or page.
    public static func notFound(_ message: String) -> MonitorError { MonitorError(status: .notFound, message: message) }
    /// 403: refused (cross-site request).
    public static func forbidden(_ message: String) -> MonitorError { MonitorError(status: .forbidden, message: message) }
    /// 504: a worker did not answer a control command in time.
    public static func noReply(_ message: String) -> MonitorError { MonitorError(status: .gatewayTimeout, message: message) }
    /// 503: Redis cannot be reached.
    public static func unavailable(_ message: String) -> MonitorError { MonitorError(status: .serviceUnavailable, message: message) }

    public var description: String { message }
}

import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Holds the monitor to `limit` open connections without letting slow clients lock others out.
///
/// Each connection is registered when it opens and forgotten when it closes. Past the
/// limit, the oldest connection still waiting for its request headers is closed to make
/// room (a client that sends half a request and waits is the one that pays), so 1,000
/// half-sent requests neither exhaust descriptors nor keep `/healthcheck` from answering.
/// Connections busy with a request (an event stream, say) are never closed for room.
/// The idle timeout (see `MonitorServer`) closes the waiting ones on its own.
final class ConnectionGuard: Sendable {
    private struct Entry {
        let channel: any Channel
        let opened: NIODeadline
        var waitingForHeaders: Bool
    }

    private struct State {
        var nextID = 0
        var open: [Int: Entry] = [:]
        var lastWarning = NIODeadline.uptimeNanoseconds(0)
    }

    let limit: Int
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// Connections open now.
    var openCount: Int { state.withLockedValue { $0.open.count } }

    /// Registers a new connection; closes the oldest one waiting for headers when over the limit.
    func opened(_ channel: any Channel) -> Int {
        let (id, evicted, warn) = state.withLockedValue { state -> (Int, (any Channel)?, Bool) in
            state.nextID += 1
            let id = state.nextID
            state.open[id] = Entry(channel: channel, opened: .now(), waitingForHeaders: true)
            guard state.open.count > limit else { return (id, nil, false) }
            let oldest = state.open.filter { $0.key != id && $0.value.waitingForHeaders }.min { $0.value.opened < $1.value.opened }
            let now = NIODeadline.now()
            let warn = now - state.lastWarning > .seconds(10)
            if warn { state.lastWarning = now }
            if let oldest {
                state.open[oldest.key] = nil
                return (id, oldest.value.channel, warn)
            }
            // Every other connection is busy with a request: this one is refused.
            state.open[id] = nil
            return (id, channel, warn)
        }
        if let evicted {
            if warn {
                logger.warning("Monitor: \(limit) connections open (--max-connections); closing the oldest that has not sent its request headers")
            }
            evicted.close(promise: nil)
        }
        return id
    }

    /// Marks a connection as sending a request (`false`) or waiting for the next one (`true`).
    func setWaiting(_ id: Int, _ waiting: Bool) {
        state.withLockedValue { state in state.open[id]?.waitingForHeaders = waiting }
    }

    /// Forgets a closed connection.
    func closed(_ id: Int) {
        _ = state.withLockedValue { state in state.open.removeValue(forKey: id) }
    }

    /// The channel handler that reports one connection to this guard.
    func handler() -> Handler { Handler(guard: self) }

    /// Sits after the HTTP codec: a request head means the headers arrived; the end of a
    /// response means the connection waits for headers again.
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        private let connections: ConnectionGuard
        private var id: Int?

        init(guard connections: ConnectionGuard) {
            self.connections = connections
        }

        func handlerAdded(context: ChannelHandlerContext) {
            id = connections.opened(context.channel)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if let id { connections.closed(id) }
            id = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data), let id { connections.setWaiting(id, false) }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data), let id { connections.setWaiting(id, true) }
            context.write(data, promise: promise)
        }
    }
}

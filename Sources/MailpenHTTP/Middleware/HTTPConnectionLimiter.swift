import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Caps the HTTP connections held open at once, so that a flood of idle sockets cannot use up the file
/// descriptors SMTP and the database need. At the cap, a new connection makes room by closing the
/// connection that has been idle longest (no request in progress); when every connection is busy, the one
/// busy longest, once it has been for ``minimumBusyTimeBeforeEviction`` (streams, waits and bodies that
/// trickle in would otherwise lock everyone out, the UI and health checks included). Only when every
/// connection is busy with a recent request is the new one closed instead.
public final class HTTPConnectionLimiter: Sendable {
    private struct Entry {
        var channel: any Channel
        var isBusy: Bool
        /// When it last became idle or busy.
        var since: NIODeadline
    }

    /// How long a request must have been in progress before, at the cap, it may be closed for a new
    /// connection: an ordinary request is over long before, a stream (server-sent events, a wait) or a body
    /// sent a byte at a time is not.
    static let minimumBusyTimeBeforeEviction = TimeAmount.seconds(5)
    /// How long an idle connection is spared while a long-busy one can make room instead.
    static let settlingTime = TimeAmount.seconds(1)

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var evicted = 0
    }

    /// The most connections held open at once.
    public let maximum: Int
    private let state = Mutex(State())

    public init(maximum: Int) {
        self.maximum = maximum
    }

    /// Open connections.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Connections closed to make room, since start.
    public var evictedCount: Int { state.withLock { $0.evicted } }

    /// Registers a new connection; returns the channel to close to stay within the cap, if any (possibly
    /// the new one itself).
    func admit(_ channel: any Channel, now: NIODeadline = .now()) -> (any Channel)? {
        state.withLock { state in
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, isBusy: false, since: now)
            guard state.entries.count > maximum else { return nil }
            state.evicted += 1
            let others = state.entries.filter { $0.key != ObjectIdentifier(channel) }
            let idle = others.filter { !$0.value.isBusy }.min { $0.value.since < $1.value.since }
            let longBusy = others.filter {
                $0.value.isBusy && now - $0.value.since >= Self.minimumBusyTimeBeforeEviction
            }.min { $0.value.since < $1.value.since }
            // A connection opened a moment ago has had no time to send its request: a browser opens several
            // at once, and each would otherwise close the one before it while old streams stay.
            let settledIdle = idle.flatMap { now - $0.value.since >= Self.settlingTime ? $0 : nil }
            guard let oldest = settledIdle ?? longBusy ?? idle else { return channel }
            state.entries[oldest.key] = nil
            return oldest.value.channel
        }
    }

    func setBusy(_ channel: any Channel, _ isBusy: Bool, now: NIODeadline = .now()) {
        state.withLock { state in
            state.entries[ObjectIdentifier(channel)]?.isBusy = isBusy
            state.entries[ObjectIdentifier(channel)]?.since = now
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The handler that reports one connection's requests to the limiter; it sits after HTTP decoding. The
    /// connection itself is registered by an ``HTTPConnectionAdmissionHandler`` in front of the decoder.
    func makeHandler() -> HTTPConnectionLimitHandler {
        HTTPConnectionLimitHandler(limiter: self)
    }
}

/// Tells the ``HTTPConnectionLimiter`` when its connection starts and finishes requests, so that at the
/// cap a connection in the middle of a request is not the one closed.
final class HTTPConnectionLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limiter: HTTPConnectionLimiter

    init(limiter: HTTPConnectionLimiter) {
        self.limiter = limiter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { limiter.setBusy(context.channel, true) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { limiter.setBusy(context.channel, false) }
        context.write(data, promise: promise)
    }
}

import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Lets the router answer a web socket handshake that ``BrowserGuardMiddleware`` refuses (another site's
/// `Origin`, a foreign `Host`). Hummingbird's upgrade channel answers every upgrade the router declines with
/// an empty 400, whatever the router said; so, between the request decoder and the upgrade handler, this
/// takes `Upgrade` off such a handshake. It then goes through the router as a plain request, where the
/// guard (which still knows it for a handshake by its `Sec-WebSocket-Key`) answers 421 or 403 with its
/// JSON error. Both decide with the same function, so they cannot disagree.
final class RefusedHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let allowedHosts: AllowedHosts

    init(allowedHosts: AllowedHosts) {
        self.allowedHosts = allowedHosts
    }

    /// Only the first request can be upgraded (the upgrade handler leaves after it), and after an upgrade
    /// web socket frames, not HTTP parts, come through: so the handler leaves at the first head.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        if Self.isRefused(head, allowedHosts: allowedHosts) {
            head.headers.remove(name: "upgrade")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            context.fireChannelRead(data)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Whether `head` is a web socket handshake the guard refuses.
    static func isRefused(_ head: HTTPRequestHead, allowedHosts: AllowedHosts) -> Bool {
        let upgrade = head.headers["upgrade"].first
        guard upgrade?.lowercased().contains("websocket") == true else { return false }
        let facts = BrowserRequestFacts(
            path: String(head.uri.prefix { $0 != "?" }), changesState: false, upgrade: upgrade,
            webSocketKey: head.headers["sec-websocket-key"].first, authority: head.headers["host"].first,
            origin: head.headers["origin"].first, fetchSite: head.headers["sec-fetch-site"].first)
        return BrowserGuardMiddleware<MailpenRequestContext>.refusal(facts, allowedHosts: allowedHosts) != nil
    }
}

/// Puts a ``RefusedHandshakeHandler`` right after the HTTP request decoder of a child channel that decides
/// between HTTP and a web socket at the first request (Hummingbird's upgrade channel).
struct HandshakeGuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let allowedHosts: AllowedHosts

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(
                RefusedHandshakeHandler(allowedHosts: allowedHosts), position: .after(decoder.handler))
            return value
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

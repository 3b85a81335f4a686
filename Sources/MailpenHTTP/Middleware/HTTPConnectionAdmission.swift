import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Admits each connection to the ``HTTPConnectionLimiter`` as soon as it opens, in front of a child channel
/// that sets up its HTTP handlers only once a first request head has come in (the web socket upgrade channel
/// decides between HTTP and a web socket on that head). Without it, sockets that never send a complete
/// request head would escape both the cap and the idle timeout. `Base` must put NIOHTTP1's request decoder in
/// the pipeline: an ``HTTPFirstRequestHeadHandler`` goes right after it to time the first head.
struct AdmittedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let limiter: HTTPConnectionLimiter
    /// How long a connection may stay open without sending a complete request head.
    let firstRequestTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionAdmissionHandler(limiter: limiter))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(
                HTTPFirstRequestHeadHandler(timeout: firstRequestTimeout), position: .after(decoder))
            return value
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Registers its connection with the limiter (closing the one the limiter picks to make room) and removes it
/// when it closes. A web socket counts as idle, so at the cap the oldest one makes room (Mailpit's clients
/// reconnect).
final class HTTPConnectionAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limiter: HTTPConnectionLimiter
    private var isRegistered = false

    init(limiter: HTTPConnectionLimiter) {
        self.limiter = limiter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        isRegistered = true
        limiter.admit(context.channel)?.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        unregister(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister(context.channel)
        context.fireChannelInactive()
    }

    private func unregister(_ channel: any Channel) {
        guard isRegistered else { return }
        isRegistered = false
        limiter.remove(channel)
    }
}

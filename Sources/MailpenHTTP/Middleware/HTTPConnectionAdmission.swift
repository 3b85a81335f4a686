import HummingbirdCore
import Logging
import NIOCore

/// Admits each connection to the ``HTTPConnectionLimiter`` as soon as it opens, in front of a child channel
/// that sets up its HTTP handlers only once a first request has come in (the web socket upgrade channel
/// decides between HTTP and a web socket on the first request head). Without it, sockets that never send a
/// request would escape both the cap and the idle timeout.
struct AdmittedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let limiter: HTTPConnectionLimiter
    /// How long a connection may stay open without sending anything.
    let firstRequestTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                HTTPConnectionAdmissionHandler(limiter: limiter, firstRequestTimeout: firstRequestTimeout))
        }.flatMap { base.setup(channel: channel, logger: logger) }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Registers its connection with the limiter (closing the one the limiter picks to make room), removes it
/// when it closes, and closes a connection that sends nothing within the timeout. Once the first request
/// is in, the HTTP handlers' idle timeout takes over; a web socket counts as idle, so at the cap the oldest
/// one makes room (Mailpit's clients reconnect).
final class HTTPConnectionAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limiter: HTTPConnectionLimiter
    private let firstRequestTimeout: TimeAmount
    private var isRegistered = false
    private var silenceDeadline: Scheduled<Void>?

    init(limiter: HTTPConnectionLimiter, firstRequestTimeout: TimeAmount) {
        self.limiter = limiter
        self.firstRequestTimeout = firstRequestTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        isRegistered = true
        limiter.admit(context.channel)?.close(promise: nil)
        let channel = context.channel
        silenceDeadline = context.eventLoop.scheduleTask(in: firstRequestTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        unregister(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        silenceDeadline?.cancel()
        silenceDeadline = nil
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister(context.channel)
        context.fireChannelInactive()
    }

    private func unregister(_ channel: any Channel) {
        silenceDeadline?.cancel()
        silenceDeadline = nil
        guard isRegistered else { return }
        isRegistered = false
        limiter.remove(channel)
    }
}

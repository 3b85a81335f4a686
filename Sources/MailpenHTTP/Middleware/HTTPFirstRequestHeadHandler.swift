import MailpenStore
import NIOCore
import NIOHTTP1

/// Looks after a connection until its first request head has been decoded, the point where the web socket
/// upgrade channel sets up either the HTTP handlers (whose idle timeout takes over) or a web socket (kept
/// open, with pings). Until then nothing else times the connection out, so this handler closes it when no
/// complete head has arrived within the timeout, counted from the connection's opening: bytes alone do not
/// count, or half a head trickled in slowly would hold the socket for good. A first request the decoder
/// cannot parse gets a 400 `{"error": ...}` and the connection closes, rather than waiting for a head that
/// never comes. It sits right after the request decoder and leaves the pipeline at the first head.
final class HTTPFirstRequestHeadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var hasAnswered = false
    private var isClosing = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            deadline = nil
            close(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        deadline?.cancel()
        deadline = nil
        context.fireChannelRead(data)
        // Whatever follows (the body, later requests, web socket frames) is not this handler's to see.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // The decoder stops after its first error; the guard keeps a second report from answering twice.
        guard !hasAnswered, !isClosing else { return }
        hasAnswered = true
        deadline?.cancel()
        deadline = nil
        let body = ByteBuffer(string: #"{"error":"# + JSONString.quoted("malformed request: \(error)") + "}")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { [self] _ in
            close(context: context)
        }
    }

    /// Closes the connection as the end of its input: the upgrade handler then gives up on the request quietly
    /// (as when a client hangs up first) instead of reporting its removal as an error in the log.
    private func close(context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.close(promise: nil)
    }
}

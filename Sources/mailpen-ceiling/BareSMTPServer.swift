import NIOCore
import NIOPosix

/// The least an SMTP server on SwiftNIO can do: one handler that answers each command line with a fixed
/// reply and skips the message's lines, parsing nothing, checking nothing and keeping nothing. Its CPU per
/// connection is the floor under any server on this stack, Mailpen's included: what SwiftNIO and the kernel
/// cost to accept, serve and close a connection.
enum BareSMTPServer {
    static func start(port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Linux copies TCP_NODELAY from the listening socket to each accepted one, as Mailpen relies on.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler()) }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private var partial: ByteBuffer?
        private var isInData = false

        func channelActive(context: ChannelHandlerContext) {
            reply("220 bare ESMTP\r\n", context: context)
            context.flush()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var input = unwrapInboundIn(data)
            if var earlier = partial {
                earlier.writeBuffer(&input)
                input = earlier
                partial = nil
            }
            var quit = false
            while let end = input.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = end - input.readerIndex + 1
                guard let line = input.readSlice(length: length) else { break }
                quit = answer(line, context: context) || quit
            }
            if input.readableBytes > 0 { partial = input }
            context.flush()
            if quit { context.close(promise: nil) }
        }

        /// Answers one line; returns whether it was QUIT.
        private func answer(_ line: ByteBuffer, context: ChannelHandlerContext) -> Bool {
            let bytes = line.readableBytesView
            if isInData {
                if bytes.elementsEqual(".\r\n".utf8) {
                    isInData = false
                    reply("250 2.0.0 Ok: discarded\r\n", context: context)
                }
                return false
            }
            switch bytes.prefix(4).map({ $0 & 0xDF }) {
            case Array("DATA".utf8):
                isInData = true
                reply("354 End data with <CR><LF>.<CR><LF>\r\n", context: context)
            case Array("QUIT".utf8):
                reply("221 2.0.0 Bye\r\n", context: context)
                return true
            case Array("EHLO".utf8):
                reply("250-localhost\r\n250-PIPELINING\r\n250 8BITMIME\r\n", context: context)
            default:
                reply("250 2.0.0 Ok\r\n", context: context)
            }
            return false
        }

        private func reply(_ text: StaticString, context: ChannelHandlerContext) {
            var buffer = context.channel.allocator.buffer(capacity: text.utf8CodeUnitCount)
            buffer.writeStaticString(text)
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
    }
}

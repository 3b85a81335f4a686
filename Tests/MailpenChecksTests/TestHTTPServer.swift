import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback HTTP server for the link follower's tests: fixed answers per path, and
/// `/hang` never answers.
final class TestHTTPServer: Sendable {
    let channel: any Channel
    let port: Int

    func url(_ path: String) -> String {
        "http://127.0.0.1:\(self.port)\(path)"
    }

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> TestHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestHTTPServer(channel: channel)
    }

    func stop() async throws {
        try await self.channel.close()
    }

    /// (status, Location) for a method and path; nil never answers.
    static func answer(method: HTTPMethod, path: String) -> (HTTPResponseStatus, String?)? {
        switch path {
        case "/ok": return (.ok, nil)
        case "/chain/1": return (.movedPermanently, "/chain/2")
        case "/chain/2": return (.found, "3")  // relative to /chain/2
        case "/chain/3": return (.permanentRedirect, "/ok")
        case "/loop": return (.movedPermanently, "/loop")
        case "/missing": return (.notFound, nil)
        case "/error": return (.internalServerError, nil)
        case "/no-head": return method == .HEAD ? (.methodNotAllowed, nil) : (.ok, nil)
        case "/to-ftp": return (.movedPermanently, "ftp://files.example.com/")
        case "/hang": return nil
        default: return (.notFound, nil)
        }
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private var head: HTTPRequestHead?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch Self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
            case .body:
                break
            case .end:
                guard let head = self.head,
                    let (status, location) = TestHTTPServer.answer(
                        method: head.method,
                        path: String(head.uri.prefix { $0 != "?" })
                    )
                else {
                    return
                }
                var headers = HTTPHeaders([("Content-Length", "2")])
                if let location {
                    headers.add(name: "Location", value: location)
                }
                context.write(
                    Self.wrapOutboundOut(
                        .head(HTTPResponseHead(version: head.version, status: status, headers: headers))
                    ),
                    promise: nil
                )
                if head.method != .HEAD {
                    context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
                }
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP server for the link follower's tests: fixed answers per path, `/hang`
/// never answers, `/redirect?to=URL` redirects anywhere; it counts connections and records
/// the `Host` header of each request, so tests can tell whether (and how) it was reached.
final class TestHTTPServer: Sendable {
    let channel: any Channel
    let port: Int
    private let counters: Counters

    func url(_ path: String) -> String {
        "http://127.0.0.1:\(self.port)\(path)"
    }

    /// Connections accepted so far.
    var connectionsAccepted: Int { self.counters.accepted.load(ordering: .relaxed) }
    /// Connections open now.
    var connectionsOpen: Int { self.counters.open.load(ordering: .relaxed) }
    /// The `Host` header of every request received, in order.
    var requestHosts: [String] { self.counters.hosts.withLock { $0 } }

    private init(channel: any Channel, counters: Counters) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.counters = counters
    }

    static func start() async throws -> TestHTTPServer {
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestHTTPServer(channel: channel, counters: counters)
    }

    func stop() async throws {
        try await self.channel.close()
    }

    /// (status, Location) for a method and request target; nil never answers.
    static func answer(method: HTTPMethod, uri: String) -> (HTTPResponseStatus, String?)? {
        let path = String(uri.prefix { $0 != "?" })
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
        case "/redirect":
            guard let query = uri.firstRange(of: "?to=") else {
                return (.badRequest, nil)
            }
            return (.found, String(uri[query.upperBound...]))
        case "/hang": return nil
        default: return (.notFound, nil)
        }
    }

    private final class Counters: Sendable {
        let accepted = Atomic<Int>(0)
        let open = Atomic<Int>(0)
        let hosts = Mutex<[String]>([])
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let counters: Counters
        private var head: HTTPRequestHead?

        init(counters: Counters) {
            self.counters = counters
        }

        func channelActive(context: ChannelHandlerContext) {
            self.counters.accepted.add(1, ordering: .relaxed)
            self.counters.open.add(1, ordering: .relaxed)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.counters.open.subtract(1, ordering: .relaxed)
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch Self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.counters.hosts.withLock { $0.append(head.headers.first(name: "host") ?? "") }
            case .body:
                break
            case .end:
                guard let head = self.head,
                    let (status, location) = TestHTTPServer.answer(method: head.method, uri: head.uri)
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

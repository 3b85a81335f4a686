import NIOCore
import NIOExtras
import NIOPosix

/// A bound TCP listener whose connections can be asked to finish: shutting it down stops accepting,
/// sends every open connection a `ChannelShouldQuiesceEvent` (its handler says goodbye in its protocol)
/// and returns once all of them have closed.
public struct QuiescingListener: Sendable {
    public let channel: any Channel
    private let quiescing: ServerQuiescingHelper
    private let eventLoopGroup: any EventLoopGroup

    /// Binds `host:port` (port 0 picks a free port); `initializeConnection` sets up each accepted
    /// connection's pipeline on its event loop.
    public static func bind(
        host: String, port: Int, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        initializeConnection: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> QuiescingListener {
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Set on the listening socket, from which Linux copies it to every accepted one: an option set per
            // connection would cost a system call and a chain of futures each time.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try initializeConnection(channel) }
            }
            .bind(host: host, port: port)
            .get()
        return QuiescingListener(channel: channel, quiescing: quiescing, eventLoopGroup: eventLoopGroup)
    }

    /// The bound address.
    public var localAddress: SocketAddress? { channel.localAddress }

    /// Stops accepting and waits until every connection has closed.
    public func shutdown() async {
        let promise = eventLoopGroup.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: promise)
        try? await promise.futureResult.get()
    }
}

import Hummingbird
import HummingbirdTesting
import Logging
import MailpenChecks
import MailpenStore
import MailpenTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import MailpenHTTP

@Suite("Link following over HTTP", .serialized)
struct LinkFollowingOverHTTPTests {
    /// A client that hangs up while `?follow=1` runs stops the requests in flight: the links'
    /// server sees its connections closed at once, not at the 60 s request timeout.
    @Test func aClientThatHangsUpStopsTheFollow() async throws {
        let links = try await HangingServer.start()
        try await withAPIFixture { fixture in
            try await followLinks(of: fixture, to: links)
        }
        try await links.stop()
    }

    private func followLinks(of fixture: APIFixture, to links: HangingServer) async throws {
        let html = (0..<4).map { "<a href=\"http://127.0.0.1:\(links.port)/\($0)\">x</a>" }.joined()
        let summary = try await fixture.deliver(
            "From: a@example.com\r\nTo: b@example.com\r\nSubject: links\r\nContent-Type: text/html\r\n\r\n\(html)\r\n"
        )
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let following = LinkFollowing(
            timeout: .seconds(60),
            maximumConcurrency: 4,
            deadline: .seconds(120),
            allowsPrivateAddresses: true
        )
        let dependencies = MailpenHTTP.Dependencies(
            store: fixture.store,
            smtp: SMTPAdvertisement(host: "127.0.0.1", port: 2525, startTLS: false, implicitTLSPort: nil),
            checks: MessageChecks(linkFollowing: following),
            logger: logger
        )
        let application = Application(
            router: MailpenHTTP.makeResponderBuilder(dependencies),
            configuration: .init(address: .hostname("127.0.0.1", port: 0))
        )
        try await application.test(.live) { client in
            let port = try #require(client.port)
            let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            let request = "GET /api/v1/messages/\(summary.id)/checks/links?follow=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
            try await connection.writeAndFlush(ByteBuffer(string: request))
            // Within five seconds, where the request timeout would take sixty.
            #expect(await links.connections.wait(until: { $0.open == 4 }, timeout: .seconds(5)) != nil)

            try await connection.close()
            #expect(await links.connections.wait(until: { $0.open == 0 }, timeout: .seconds(5)) != nil)
            #expect(links.connections.value.accepted == 4)
        }
    }
}

/// A loopback server that accepts connections, never answers, and counts them.
private final class HangingServer: Sendable {
    let channel: any Channel
    let port: Int
    /// How many connections it has accepted and how many of them are open, for tests to wait on.
    let connections: ObservedValue<Connections>

    struct Connections: Sendable {
        var accepted = 0
        var open = 0
    }

    private init(channel: any Channel, connections: ObservedValue<Connections>) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.connections = connections
    }

    static func start() async throws -> HangingServer {
        let counters = ObservedValue(Connections())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Counter(counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HangingServer(channel: channel, connections: counters)
    }

    func stop() async throws {
        try await self.channel.close()
    }

    private final class Counter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let counters: ObservedValue<Connections>

        init(counters: ObservedValue<Connections>) {
            self.counters = counters
        }

        func channelActive(context: ChannelHandlerContext) {
            self.counters.update { connections in
                connections.accepted += 1
                connections.open += 1
            }
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.counters.update { $0.open -= 1 }
            context.fireChannelInactive()
        }
    }
}

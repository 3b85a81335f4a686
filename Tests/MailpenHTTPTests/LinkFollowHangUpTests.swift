import Hummingbird
import HummingbirdTesting
import Logging
import MailpenChecks
import MailpenStore
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import MailpenHTTP

@Suite("Link following over HTTP", .serialized)
struct LinkFollowHangUpTests {
    /// A client that hangs up while `?follow=1` runs stops the requests in flight: the links'
    /// server sees its connections closed at once, not at the 60 s request timeout.
    @Test func aClientThatHangsUpStopsTheFollow() async throws {
        let links = try await HangingServer.start()
        let fixture = try APIFixture.make()
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
            #expect(await Self.eventually { links.connectionsOpen == 4 })

            try await connection.close()
            #expect(await Self.eventually { links.connectionsOpen == 0 })
            #expect(links.connectionsAccepted == 4)
        }
        await fixture.close()
        try await links.stop()
    }

    /// Polls `condition` for up to five seconds.
    private static func eventually(_ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(5)
        while clock.now < end {
            if condition() {
                return true
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

/// A loopback server that accepts connections, never answers, and counts them.
private final class HangingServer: Sendable {
    let channel: any Channel
    let port: Int
    private let counters: Counters

    var connectionsAccepted: Int { self.counters.accepted.load(ordering: .relaxed) }
    var connectionsOpen: Int { self.counters.open.load(ordering: .relaxed) }

    private init(channel: any Channel, counters: Counters) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.counters = counters
    }

    static func start() async throws -> HangingServer {
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Counter(counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HangingServer(channel: channel, counters: counters)
    }

    func stop() async throws {
        try await self.channel.close()
    }

    private final class Counters: Sendable {
        let accepted = Atomic<Int>(0)
        let open = Atomic<Int>(0)
    }

    private final class Counter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let counters: Counters

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
    }
}

import Hummingbird
import HummingbirdTesting
import Logging
import MailpenStore
import MailpenTestSupport
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import MailpenHTTP

@Suite("Event streams: a client that stops reading", .serialized)
struct EventStreamStallTests {
    /// A subscriber that stops reading must not hold a stream (and its share of the change feed) forever:
    /// once its socket is full, the next event that cannot be written within the stall timeout ends the
    /// connection.
    @Test func aClientThatStopsReadingIsDisconnected() async throws {
        try await withAPIFixture { fixture in
            var dependencies = fixture.dependencies()
            dependencies.streamStallTimeout = .milliseconds(500)
            let application = Application(
                router: MailpenHTTP.makeResponderBuilder(dependencies),
                configuration: .init(address: .hostname("127.0.0.1", port: 0))
            )
            try await application.test(.live) { client in
                let port = try #require(client.port)
                let reader = StalledReader()
                // A small receive window and no reads: the server's writes soon find the socket full.
                let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                    .channelOption(.autoRead, value: false)
                    .channelInitializer { channel in channel.pipeline.addHandler(reader) }
                    .connect(host: "127.0.0.1", port: port).get()
                try await connection.writeAndFlush(
                    ByteBuffer(string: "GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n"))

                // Far more events than loopback socket buffers hold (each carries a 16 KiB subject).
                let subject = String(repeating: "s", count: 16 * 1024)
                for number in 0..<600 {
                    let raw = "From: a@example.com\r\nTo: b@example.com\r\nSubject: \(number) \(subject)\r\n\r\nHi\r\n"
                    _ = try await fixture.store.store(incoming(raw))
                }

                // Reading again drains what was buffered; the server has since closed its end.
                try await connection.setOption(.autoRead, value: true).get()
                connection.read()
                let closed = await reader.closed.wait(until: { $0 }, timeout: .seconds(20)) == true
                #expect(closed, "the stream stayed open with \(reader.bytesReceived) bytes read")
                #expect(reader.bytesReceived < 600 * subject.utf8.count, "the stream ended before every event")
                if !closed { try? await connection.close() }
            }
        }
    }
}

/// Counts the bytes a connection receives and notes when it closes.
private final class StalledReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let received = Atomic<Int>(0)
    /// Whether the connection has closed, for the test to await.
    let closed = ObservedValue(false)

    var bytesReceived: Int { self.received.load(ordering: .relaxed) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        self.received.add(buffer.readableBytes, ordering: .relaxed)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed.update { $0 = true }
        context.fireChannelInactive()
    }
}

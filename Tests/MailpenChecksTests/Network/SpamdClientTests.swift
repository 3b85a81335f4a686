import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import MailpenChecks
@testable import MailpenChecksNetwork

/// A loopback stand-in for spamd: reads one request and sends a canned reply (or none).
final class FakeSpamd: Sendable {
    let channel: any Channel

    /// Generous by default: a loaded CI machine can take over a second to schedule a reply.
    var configuration: SpamdConfiguration { self.configuration(timeout: .seconds(15)) }

    func configuration(timeout: Duration) -> SpamdConfiguration {
        SpamdConfiguration(host: "127.0.0.1", port: self.channel.localAddress?.port ?? 0, timeout: timeout)
    }

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// `reply` nil: accept and never answer.
    static func start(reply: String?) async throws -> FakeSpamd {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Responder(reply: reply))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeSpamd(channel: channel)
    }

    func stop() async throws {
        try await self.channel.close()
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let reply: String?
        var received: [UInt8] = []

        init(reply: String?) {
            self.reply = reply
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = Self.unwrapInboundIn(data)
            self.received += buffer.readBytes(length: buffer.readableBytes) ?? []
            let text = String(decoding: self.received, as: UTF8.self)
            guard let reply, let headEnd = text.firstRange(of: "\r\n\r\n"),
                let lengthLine = text[..<headEnd.lowerBound].split(separator: "\r\n").first(where: {
                    $0.hasPrefix("Content-length:")
                }),
                let length = Int(lengthLine.dropFirst("Content-length:".count).trimmingCharacters(in: .whitespaces)),
                text.utf8.count - text[..<headEnd.upperBound].utf8.count >= length
            else {
                return
            }
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
            context.close(mode: .output, promise: nil)
        }
    }
}

@Suite("spamd client", .serialized)
struct SpamdClientTests {
    @Test func scoresThroughSpamd() async throws {
        let spamd = try await FakeSpamd.start(reply: SpamdProtocolTests.reportReply)
        let checks = MessageChecks(spamEngine: .spamassassin(spamd.configuration))
        let report = try await checks.spam(TestSupport.context(try TestSupport.fixtureBytes("messages/gtube.eml")))
        try await spamd.stop()
        #expect(report.engine == "spamassassin" && report.isSpam && report.rules.first?.name == "GTUBE")
    }

    @Test func refusedConnectionIsAClearError() async throws {
        let spamd = try await FakeSpamd.start(reply: nil)
        let configuration = spamd.configuration
        try await spamd.stop()
        let checks = MessageChecks(spamEngine: .spamassassin(configuration))
        await #expect(
            throws: CheckError.spamdUnavailable("spamd at \(configuration.address) is unreachable: connection refused")
        ) {
            try await checks.spam(TestSupport.context(TestSupport.raw(TestSupport.headers(), body: "hi")))
        }
    }

    @Test func aMessagePastTheLimitIsNotSent() async throws {
        // Nothing listens: a message that were sent would fail as unreachable, not as too large.
        let spamd = try await FakeSpamd.start(reply: nil)
        var configuration = spamd.configuration
        try await spamd.stop()
        let limit = TestSupport.raw(TestSupport.headers(), body: "hi").count
        configuration.maximumMessageBytes = limit
        let checks = MessageChecks(spamEngine: .spamassassin(configuration))
        await #expect(
            throws: CheckError.tooLargeForSpamd(
                "the message is \(limit + 1) bytes; spamd is sent messages of at most \(limit) (--spamd-max-size)")
        ) {
            try await checks.spam(TestSupport.context(TestSupport.raw(TestSupport.headers(), body: "hi!")))
        }
        await #expect(
            throws: CheckError.spamdUnavailable("spamd at \(configuration.address) is unreachable: connection refused")
        ) {
            try await checks.spam(TestSupport.context(TestSupport.raw(TestSupport.headers(), body: "hi")))
        }
    }

    @Test func silentSpamdTimesOut() async throws {
        let spamd = try await FakeSpamd.start(reply: nil)
        let configuration = spamd.configuration(timeout: .seconds(1))
        let checks = MessageChecks(spamEngine: .spamassassin(configuration))
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(
            throws: CheckError.spamdUnavailable(
                "spamd at \(configuration.address) did not answer within 1.0 seconds"
            )
        ) {
            try await checks.spam(TestSupport.context(TestSupport.raw(TestSupport.headers(), body: "hi")))
        }
        // The fake never answers: without the timeout this would not end.
        #expect(clock.now - start < .seconds(10))
        try await spamd.stop()
    }

    @Test func garbageReplyIsAClearError() async throws {
        let spamd = try await FakeSpamd.start(reply: "HTTP/1.1 400 Bad Request\r\n\r\n")
        let checks = MessageChecks(spamEngine: .spamassassin(spamd.configuration))
        do {
            _ = try await checks.spam(TestSupport.context(TestSupport.raw(TestSupport.headers(), body: "hi")))
            Issue.record("expected an error")
        } catch let error as CheckError {
            #expect(error.description.hasPrefix("spamd at \(spamd.configuration.address) sent an unusable reply"))
        }
        try await spamd.stop()
    }
}

/// Runs against a real spamd when `MAILPEN_TEST_SPAMD=host:port` is set (CI starts one);
/// with the variable set, an unreachable spamd fails the test.
@Suite(
    "spamd integration",
    .enabled(if: ProcessInfo.processInfo.environment["MAILPEN_TEST_SPAMD"] != nil, "MAILPEN_TEST_SPAMD is not set")
)
struct SpamdIntegrationTests {
    private func checks() throws -> MessageChecks {
        let address = ProcessInfo.processInfo.environment["MAILPEN_TEST_SPAMD"] ?? ""
        let configuration = try #require(
            SpamdConfiguration(address: address, timeout: .seconds(60)),
            "bad MAILPEN_TEST_SPAMD \(address)"
        )
        return MessageChecks(spamEngine: .spamassassin(configuration))
    }

    @Test func gtubeIsSpam() async throws {
        let report = try await self.checks().spam(
            TestSupport.context(try TestSupport.fixtureBytes("messages/gtube.eml"))
        )
        #expect(report.engine == "spamassassin" && report.isSpam && report.score >= 1000)
        #expect(report.rules.contains { $0.name == "GTUBE" && $0.score == 1000 && !$0.description.isEmpty })
    }

    @Test func cleanNewsletterIsNotSpam() async throws {
        let report = try await self.checks().spam(
            TestSupport.context(try TestSupport.fixtureBytes("messages/clean-newsletter.eml"))
        )
        #expect(!report.isSpam, "\(report.score): \(report.rules.map(\.name))")
        #expect(report.threshold == 5)
    }
}

import Logging
import MailpenListener
import MailpenSMTPCore
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import MailpenSMTP

/// What the server does with each answer a host can give through the seam (SMTPBackend.swift), on the
/// NIO handler that serves a connection.
@Suite("SMTP backend seam")
struct SMTPBackendTests {
    /// A host that answers as told and records what it was asked and told, in order.
    final class Host: SMTPDeliveryHandler, SMTPAuthenticator, SMTPSessionObserver {
        enum Delivery: Sendable {
            case answer(SMTPDeliveryResult)
            case fail
            /// The answer waits until ``finishDelivery(_:)``.
            case held
        }

        struct Failure: Error {}

        let delivery: Delivery
        /// Nil: the credentials cannot be checked (the future fails).
        let acceptsCredentials: Bool?
        private let log = Mutex<[String]>([])
        /// The delivery ``Delivery/held`` keeps waiting.
        private let heldDelivery = Mutex<EventLoopPromise<SMTPDeliveryResult>?>(nil)

        init(delivery: Delivery = .answer(.accepted(id: "ID")), acceptsCredentials: Bool? = true) {
            self.delivery = delivery
            self.acceptsCredentials = acceptsCredentials
        }

        var events: [String] { log.withLock { $0 } }

        func deliver(
            _ transaction: SMTPTransaction, on eventLoop: any EventLoop
        ) -> EventLoopFuture<SMTPDeliveryResult> {
            let recipients = transaction.envelope.recipients.map(\.address).joined(separator: ",")
            log.withLock { $0.append("deliver \(recipients) \(String(decoding: transaction.message, as: UTF8.self))") }
            switch delivery {
            case .answer(let result): return eventLoop.makeSucceededFuture(result)
            case .fail: return eventLoop.makeFailedFuture(Failure())
            case .held:
                let promise = eventLoop.makePromise(of: SMTPDeliveryResult.self)
                heldDelivery.withLock { $0 = promise }
                return promise.futureResult
            }
        }

        /// Answers the delivery that ``Delivery/held`` kept waiting.
        func finishDelivery(_ result: SMTPDeliveryResult) {
            heldDelivery.withLock { promise in
                defer { promise = nil }
                return promise
            }?.succeed(result)
        }

        func authenticate(_ credentials: SMTPCredentials, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
            log.withLock { $0.append("authenticate \(credentials.username)") }
            guard let acceptsCredentials else { return eventLoop.makeFailedFuture(Failure()) }
            return eventLoop.makeSucceededFuture(acceptsCredentials)
        }

        func sessionOpened() { log.withLock { $0.append("opened") } }
        func sessionClosed() { log.withLock { $0.append("closed") } }
        func replied(code: Int) { log.withLock { $0.append("\(code)") } }
    }

    /// Records the reads the handler passes on towards the socket.
    final class ReadRecorder: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0

        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// A connection served by the handler, with `host` behind it and `recorder` between it and the socket.
    private func connect(
        to host: Host, recorder: ReadRecorder? = nil,
        configuration: SMTPSessionStateMachine.Configuration = .init(hostname: "mx.test"),
        idleTimeout: TimeAmount = .seconds(300)
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        if let recorder { try channel.pipeline.syncOperations.addHandler(recorder) }
        let dependencies = SMTPServerHandler.Dependencies(
            deliveryHandler: host, authenticator: host, startTLSContext: nil,
            connectionLimiter: ConnectionLimiter(maximum: 10), shutdownGracePeriod: .seconds(1),
            maximumLineLength: 512, idleTimeout: idleTimeout, observer: host, logger: Logger(label: "test"))
        let machine = SMTPSessionStateMachine(configuration: configuration, challengeNonce: "n")
        try channel.pipeline.syncOperations.addHandler(SMTPServerHandler(machine: machine, dependencies: dependencies))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        return channel
    }

    /// Sends `text` and returns what the server wrote back.
    private func send(_ text: String, on channel: EmbeddedChannel) throws -> String {
        try channel.writeInbound(channel.allocator.buffer(string: text))
        channel.embeddedEventLoop.run()
        return try written(on: channel)
    }

    private func written(on channel: EmbeddedChannel) throws -> String {
        var output = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            output += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return output
    }

    private static let transaction = "EHLO c.test\r\nMAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nDATA\r\nhello\r\n.\r\n"

    private func lastLine(_ output: String) -> Substring? {
        output.split(separator: "\r\n").last
    }

    /// A client silent for the idle timeout is told so (421) and closed; each piece of input it sends
    /// pushes the deadline back.
    @Test func aSilentClientIsClosedAfterTheIdleTimeoutCountedFromItsLastInput() throws {
        let channel = try connect(to: Host(), idleTimeout: .seconds(10))
        _ = try written(on: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(8))
        #expect(try send("NOOP\r\n", on: channel).hasPrefix("250"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(8))  // 16 s connected, 8 since the NOOP
        #expect(try written(on: channel).isEmpty)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))  // 11 since the NOOP
        #expect(try written(on: channel).hasPrefix("421 "))
        #expect(!channel.isActive)
    }

    @Test func acceptedDeliveryIsQueued() throws {
        let host = Host()
        let channel = try connect(to: host)
        #expect(try written(on: channel) == "220 mx.test ESMTP Mailpen\r\n")
        #expect(lastLine(try send(Self.transaction, on: channel)) == "250 2.0.0 Ok: queued as ID")
        #expect(host.events.contains("deliver b@test hello\r\n"))
    }

    @Test func hostRefusalReachesTheClientAndTheSessionGoesOn() throws {
        let host = Host(delivery: .answer(.rejected(.inboxDoesNotExist("shop"))))
        let channel = try connect(to: host)
        #expect(lastLine(try send(Self.transaction, on: channel)) == "550 5.1.1 Error: inbox shop does not exist")
        #expect(try send("MAIL FROM:<a@test>\r\n", on: channel) == "250 2.1.0 Ok\r\n")
    }

    @Test func failedDeliveryIsAStorageFailure() throws {
        let channel = try connect(to: Host(delivery: .fail))
        let output = try send(Self.transaction, on: channel)
        #expect(lastLine(output) == "451 4.3.0 Error: could not store message, try again later")
    }

    static let authenticationOutcomes: [(accepts: Bool?, reply: String)] = [
        (true, "235 2.7.0 Authentication successful\r\n"),
        (false, "535 5.7.8 Error: authentication credentials invalid\r\n"),
        (nil, "454 4.7.0 Temporary authentication failure\r\n"),
    ]

    @Test("the authenticator decides AUTH", arguments: authenticationOutcomes)
    func authenticatorDecides(accepts: Bool?, reply: String) throws {
        let host = Host(acceptsCredentials: accepts)
        let channel = try connect(to: host)
        _ = try send("EHLO c.test\r\n", on: channel)
        // AUTH PLAIN with "\0shop\0pw".
        #expect(try send("AUTH PLAIN AHNob3AAcHc=\r\n", on: channel) == reply)
        #expect(host.events.contains("authenticate shop"))
    }

    @Test func aDeliveryUnderWayDoesNotStopReading() throws {
        let host = Host(delivery: .held)
        let recorder = ReadRecorder()
        let channel = try connect(to: host, recorder: recorder)
        _ = try send(Self.transaction, on: channel)
        let before = recorder.reads
        channel.read()
        #expect(recorder.reads == before + 1)
        // What the client sends meanwhile waits for the outcome, then is answered in order.
        #expect(try send("NOOP\r\n", on: channel) == "")
        host.finishDelivery(.accepted(id: "ID"))
        channel.embeddedEventLoop.run()
        #expect(try written(on: channel) == "250 2.0.0 Ok: queued as ID\r\n250 2.0.0 Ok\r\n")
    }

    @Test func inputPastTheLimitStopsReadingUntilTheMachineTakesIt() throws {
        let host = Host(delivery: .held)
        let recorder = ReadRecorder()
        let channel = try connect(to: host, recorder: recorder)
        _ = try send(Self.transaction, on: channel)
        let line = "NOOP " + String(repeating: "x", count: 400) + "\r\n"
        let lines = 300 * 1024 / line.utf8.count
        _ = try send(String(repeating: line, count: lines), on: channel)
        let before = recorder.reads
        channel.read()
        #expect(recorder.reads == before)
        host.finishDelivery(.accepted(id: "ID"))
        channel.embeddedEventLoop.run()
        #expect(recorder.reads == before + 1)
        let replies = try written(on: channel).split(separator: "\r\n")
        #expect(replies.count == lines + 1)
    }

    /// Cleartext sent behind STARTTLS is never a command, also when it arrived while a delivery was held.
    @Test func cleartextBehindStartTLSDuringADeliveryIsNeverAnswered() throws {
        let host = Host(delivery: .held)
        let channel = try connect(to: host, configuration: .init(hostname: "mx.test", offersStartTLS: true))
        _ = try send(Self.transaction, on: channel)
        #expect(try send("STARTTLS\r\nNOOP\r\n", on: channel) == "")
        host.finishDelivery(.accepted(id: "ID"))
        channel.embeddedEventLoop.run()
        let codes = try written(on: channel).split(separator: "\r\n").map { String($0.prefix(3)) }
        #expect(codes == ["250", "220"])
    }

    /// A client that leaves while its message is being stored is not answered: its session is closing, so
    /// the outcome is neither written nor counted as a reply.
    @Test func aClientThatLeftDuringItsDeliveryIsNotAnswered() throws {
        let host = Host(delivery: .held)
        let channel = try connect(to: host)
        _ = try send(Self.transaction, on: channel)
        try channel.close().wait()
        host.finishDelivery(.accepted(id: "ID"))
        channel.embeddedEventLoop.run()
        let events = host.events
        #expect(events.last == "closed")
        #expect(events.filter { $0 == "250" }.count == 3, "\(events)")  // EHLO, MAIL and RCPT only
    }

    @Test func observerSeesTheSessionAndEveryReply() throws {
        let host = Host()
        let channel = try connect(to: host)
        _ = try send("NOOP\r\nFROB\r\nQUIT\r\n", on: channel)
        channel.embeddedEventLoop.run()
        _ = try? channel.finish()
        #expect(host.events == ["opened", "220", "250", "500", "221", "closed"])
    }
}

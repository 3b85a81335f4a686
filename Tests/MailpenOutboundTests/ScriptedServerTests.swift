import Foundation
import Glibc
import Testing

@testable import MailpenOutbound

/// The client against scripted servers, for replies Mailpen's own server never gives.
@Suite("SMTP client against scripted servers")
struct ScriptedServerTests {
    static let client = OutboundSMTPClient()

    static func target(port: Int, tls: SMTPClientTLSMode = .none, timeouts: SMTPClientTimeouts = .uniform(.seconds(10)))
        -> RelayTarget
    {
        RelayTarget(host: "127.0.0.1", port: port, tls: tls, heloName: "client.test", timeouts: timeouts)
    }

    /// Generous limits everywhere but `step`, so a busy machine cannot time out the wrong step.
    static func timeouts(_ limit: Duration, for step: WritableKeyPath<SMTPClientTimeouts, Duration>)
        -> SMTPClientTimeouts
    {
        var timeouts = SMTPClientTimeouts.uniform(.seconds(10))
        timeouts[keyPath: step] = limit
        return timeouts
    }

    static let message = OutboundMessage(
        mailFrom: "a@example.com", recipients: ["b@example.com"], content: Array("Subject: s\r\n\r\nbody\r\n".utf8))

    /// Runs `script` on a fresh server, sends `message` to it and returns the result and the transcript.
    static func run(
        _ message: OutboundMessage = message, tls: SMTPClientTLSMode = .none,
        timeouts: SMTPClientTimeouts = .uniform(.seconds(10)),
        _ script: @escaping @Sendable (ScriptedConnection) async throws -> Void
    ) async throws -> (OutboundResult, [String]) {
        let server = try await ScriptedSMTPServer.start(script)
        let result = await client.send(message, to: target(port: server.port, tls: tls, timeouts: timeouts))
        await server.stop()
        return (result, server.received)
    }

    @Test func greylistingOnRecipientIsTemporary() async throws {
        let (result, received) = try await Self.run { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250-mx.test\r\n250 ENHANCEDSTATUSCODES")
            try await connection.expect("MAIL FROM:<a@example.com>")
            try await connection.reply("250 2.1.0 Ok")
            try await connection.expect("RCPT TO:<b@example.com>")
            try await connection.reply("451 4.7.1 Greylisted, try again in 5 minutes")
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(result.recipients.first?.reply?.text == "451 4.7.1 Greylisted, try again in 5 minutes")
        #expect(result.recipientsToRetry == ["b@example.com"])
        #expect(!received.contains("DATA"))
    }

    @Test func oneOfTwoRecipientsRefused() async throws {
        let message = OutboundMessage(
            mailFrom: "a@example.com", recipients: ["good@example.com", "gone@example.com"],
            content: Array("Subject: s\r\n\r\nbody\r\n".utf8))
        let (result, received) = try await Self.run(message) { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250 mx.test")
            try await connection.expect("MAIL FROM:")
            try await connection.reply("250 2.1.0 Ok")
            try await connection.expect("RCPT TO:<good@example.com>")
            try await connection.reply("250 2.1.5 Ok")
            try await connection.expect("RCPT TO:<gone@example.com>")
            try await connection.reply("550 5.1.1 <gone@example.com>: Recipient address rejected")
            try await connection.expect("DATA")
            try await connection.reply("354 End data with <CR><LF>.<CR><LF>")
            _ = try await connection.readData()
            try await connection.reply("250 2.0.0 Ok: queued as ABC")
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
        #expect(result.outcome == .sent, "\(result.error ?? "no error")")
        #expect(result.lastReply?.text == "250 2.0.0 Ok: queued as ABC")
        #expect(result.recipients.map(\.outcome) == [.sent, .permanentFailure])
        #expect(result.recipients[1].reply?.code == 550)
        #expect(received.contains("<data 23 octets>"))
    }

    @Test func greeting421() async throws {
        let (result, received) = try await Self.run { connection in
            try await connection.reply("421 4.3.2 mx.test overloaded, try later")
            try await connection.drain()
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(result.error == "the server closed the session: 421 4.3.2 mx.test overloaded, try later")
        #expect(received.isEmpty, "no QUIT after 421")
    }

    @Test func heloFallbackWhenEhloIsNotRecognised() async throws {
        let (result, received) = try await Self.run { connection in
            try await connection.reply("220 old.test SMTP")
            try await connection.expect("EHLO client.test")
            try await connection.reply("502 5.5.2 Error: command not recognized")
            try await connection.expect("HELO client.test")
            try await connection.reply("250 old.test")
            try await connection.expect("MAIL FROM:<a@example.com>")
            try await connection.reply("250 Ok")
            try await connection.expect("RCPT TO:<b@example.com>")
            try await connection.reply("250 Ok")
            try await connection.expect("DATA")
            try await connection.reply("354 Go")
            _ = try await connection.readData()
            try await connection.reply("250 Ok: queued")
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
        #expect(result.outcome == .sent, "\(result.error ?? "no error")")
        #expect(received.contains("MAIL FROM:<a@example.com>"), "no SIZE or BODY after HELO")
    }

    @Test func eightBitMessageToAServerWithout8BitMIMEIsNotSent() async throws {
        let message = OutboundMessage(
            mailFrom: "a@example.com", recipients: ["b@example.com"],
            content: Array("Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße\r\n".utf8))
        let (result, received) = try await Self.run(message) { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250-mx.test\r\n250-PIPELINING\r\n250 SIZE 10000")
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
        #expect(result.outcome == .permanentFailure)
        #expect(
            result.error == "the message has 8-bit octets and the server does not announce 8BITMIME; nothing was sent")
        #expect(received == ["EHLO client.test", "QUIT"])
    }

    @Test func pipelinedGroupArrivesBeforeAnyReply() async throws {
        let message = OutboundMessage(
            mailFrom: "a@example.com", recipients: ["b@example.com", "c@example.com"],
            content: Array("Subject: s\r\n\r\nbody\r\n".utf8))
        let (result, received) = try await Self.run(message, timeouts: .uniform(.seconds(5))) { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250-mx.test\r\n250-PIPELINING\r\n250 SIZE 10000")
            // A client that waited for each reply would stall here until its timeout.
            try await connection.expect("MAIL FROM:<a@example.com> SIZE=20")
            try await connection.expect("RCPT TO:<b@example.com>")
            try await connection.expect("RCPT TO:<c@example.com>")
            try await connection.expect("DATA")
            try await connection.reply("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Too many recipients\r\n354 Go")
            _ = try await connection.readData()
            try await connection.reply("250 2.0.0 Ok: queued")
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
        #expect(result.outcome == .sent, "\(result.error ?? "no error")")
        #expect(result.recipients.map(\.outcome) == [.sent, .temporaryFailure])
        #expect(result.recipientsToRetry == ["c@example.com"])
        #expect(received.prefix(5).last == "DATA")
    }

    @Test func stalledServerTimesOut() async throws {
        let (result, _) = try await Self.run(timeouts: Self.timeouts(.milliseconds(300), for: \.command)) {
            connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.drain()
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(result.error == "timed out after 300 ms waiting for the reply to EHLO")
    }

    @Test func serverAnsweringEachStepJustInTimeRunsOutTheAttempt() async throws {
        // Each reply comes within its step's limit of 10 s, so only the whole attempt's limit can end it.
        var timeouts = SMTPClientTimeouts.uniform(.seconds(10))
        timeouts.attempt = .milliseconds(1500)
        let message = OutboundMessage(
            mailFrom: "a@example.com", recipients: (1...20).map { "r\($0)@example.com" },
            content: Array("Subject: s\r\n\r\nbody\r\n".utf8))
        let (result, received) = try await Self.run(message, timeouts: timeouts) { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250 mx.test")
            try await connection.expect("MAIL")
            try await connection.reply("250 Ok")
            while try await connection.readLine() != nil {
                try await Task.sleep(for: .milliseconds(400))
                try await connection.reply("250 Ok")
            }
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(
            result.error?.hasPrefix(
                "the attempt ran past its limit of 1500 ms while waiting for the reply to RCPT TO:<r") == true,
            "\(result.error ?? "")")
        #expect(result.recipients.allSatisfy { $0.outcome == .temporaryFailure })
        #expect(!received.contains("DATA"))
    }

    @Test func theAttemptLimitDoesNotCutTheWaitForTheFinalReply() async throws {
        // The attempt limit ends before the final reply comes, but the message was all written: the server's
        // late 250 counts, as cutting the wait could have the message sent twice.
        var timeouts = SMTPClientTimeouts.uniform(.seconds(10))
        timeouts.attempt = .milliseconds(800)
        let (result, _) = try await Self.run(timeouts: timeouts) { connection in
            try await connection.acceptUpToData()
            _ = try await connection.readData()
            try await Task.sleep(for: .milliseconds(1500))
            try await connection.reply("250 2.0.0 queued")
            try await connection.expect("QUIT")
            try await connection.reply("221 bye")
        }
        #expect(result.outcome == .sent, "\(result.error ?? "")")
    }

    @Test func aReplyInTheSameReadAsThe354IsOutOfStep() async throws {
        // A stray 250 right behind the 354: had it been read once the message was written, it would stand for
        // the verdict on the message, which the server then refuses.
        let (result, received) = try await Self.run { connection in
            try await connection.acceptUpToData(dataReply: "354 go\r\n250 2.0.0 early")
            _ = try? await connection.readData()
            try? await connection.reply("554 5.7.1 rejected")
            try await connection.drain()
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(
            result.error
                == "the server sent more data right after its 354 reply to DATA, before the message (out of step) while waiting for the message data to be sent"
        )
        #expect(result.recipientsToRetry == ["b@example.com"])
        #expect(!received.contains { $0.hasPrefix("<data") })
    }

    @Test func serverThatStopsReadingTimesOutTheDataBlock() async throws {
        // Far more than the loopback socket buffers hold, so the writes must stall.
        let line = Array(String(repeating: "x", count: 998).utf8) + [0x0D, 0x0A]
        var content = Array("Subject: big\r\n\r\n".utf8)
        for _ in 0..<(16 * 1024) { content += line }
        let message = OutboundMessage(mailFrom: "a@example.com", recipients: ["b@example.com"], content: content)
        let (result, _) = try await Self.run(message, timeouts: Self.timeouts(.milliseconds(500), for: \.dataBlock)) {
            connection in
            try await connection.acceptUpToData()
            await connection.stall(for: .seconds(30))
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(result.error == "timed out after 500 ms sending the message data (the server stopped reading)")
    }

    @Test func slowButSteadyReaderIsNotTimedOut() async throws {
        // The data-block timeout limits each block, not the whole message (RFC 5321 §4.5.3.2.5).
        var content = Array("Subject: slow\r\n\r\n".utf8)
        // More than the socket buffers hold, so the client's writes are paced by the reader: about 20 s in all,
        // in steps of 80 ms, each far within the limit of 12 s even on a machine loaded by the whole suite.
        for _ in 0..<(16 * 1024) { content += Array(String(repeating: "s", count: 1022).utf8) + [0x0D, 0x0A] }
        let message = OutboundMessage(mailFrom: "a@example.com", recipients: ["b@example.com"], content: content)
        let expectedSize = content.count + 3
        let started = ContinuousClock.now
        let (result, _) = try await Self.run(message, timeouts: Self.timeouts(.seconds(12), for: \.dataBlock)) {
            connection in
            try await connection.acceptUpToData()
            let count = try await connection.consumeDataPaced(pausing: .milliseconds(80), every: 64 * 1024)
            try await connection.reply(count == expectedSize ? "250 Ok" : "554 wrong size \(count)")
            try await connection.expect("QUIT")
            try await connection.reply("221 Bye")
        }
        #expect(result.outcome == .sent, "\(result)")
        #expect(ContinuousClock.now - started > .seconds(13), "the whole transfer outlasted one block's limit")
    }

    @Test func dataAfterTheStartTLSReplyIsRefused() async throws {
        let (result, received) = try await Self.run(tls: .startTLS) { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("250-mx.test\r\n250 STARTTLS")
            try await connection.expect("STARTTLS")
            // An attacker's injected reply rides along with the 220, before the handshake.
            try await connection.reply("220 2.0.0 Ready\r\n250-injected\r\n250 AUTH PLAIN")
            try await connection.drain()
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(result.error?.contains("possible injection") == true)
        #expect(received == ["EHLO client.test", "STARTTLS"])
    }

    @Test func malformedReplyEndsTheAttempt() async throws {
        let (result, _) = try await Self.run { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
            try await connection.reply("HTTP/1.1 400 Bad Request")
            try await connection.drain()
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(
            result.error
                == "the server sent a line that is not an SMTP reply: \"HTTP/1.1 400 Bad Request\" while waiting for the reply to EHLO"
        )
    }

    @Test func connectionClosedMidDialogue() async throws {
        let (result, _) = try await Self.run { connection in
            try await connection.reply("220 mx.test ESMTP")
            try await connection.expect("EHLO")
        }
        #expect(result.outcome == .temporaryFailure)
        #expect(result.error == "the server closed the connection while waiting for the reply to EHLO")
    }

    @Test func nothingListening() async throws {
        // A port bound but not listening refuses connections, and stays ours: a port freed by a stopped
        // server could be taken by another test's server meanwhile.
        let socket = try BoundSocket()
        defer { socket.close() }
        let port = socket.port
        let result = await Self.client.send(Self.message, to: Self.target(port: port))
        #expect(result.outcome == .temporaryFailure)
        #expect(result.error?.hasPrefix("could not connect to 127.0.0.1:\(port): ") == true)
        #expect(result.recipients.map(\.outcome) == [.temporaryFailure])
    }
}

/// A TCP socket bound to a free loopback port without listening: connections to it are refused.
private struct BoundSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EBADF) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                Glibc.bind(descriptor, socketAddress, length) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        Glibc.close(descriptor)
    }
}

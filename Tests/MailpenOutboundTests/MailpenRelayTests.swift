import Foundation
import Mailpen
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import MailpenTestSupport
import Testing

@testable import MailpenOutbound

/// The client relaying to Mailpen's own SMTP server over real TCP: what arrives is what was sent.
@Suite("SMTP client against Mailpen's server")
struct MailpenRelayTests {
    static let client = OutboundSMTPClient()

    static func target(
        port: Int, tls: SMTPClientTLSMode = .none, verify: Bool = true, host: String = "127.0.0.1",
        authentication: SMTPClientAuthentication? = nil
    ) -> RelayTarget {
        RelayTarget(
            host: host, port: port, tls: tls, verifiesCertificate: verify, authentication: authentication,
            heloName: "relay.test", timeouts: .uniform(.seconds(10)))
    }

    /// A message with everything that could be mangled on the way: leading dots, a lone dot line, 8-bit
    /// octets, trailing spaces, a long line, and no final CRLF on the last line only when `unterminated`.
    static func trickyMessage() -> [UInt8] {
        var message = Array("From: a@example.com\r\nTo: b@example.com\r\nSubject: exact\r\n".utf8)
        message += Array(
            "Message-ID: <\(UUID().uuidString)@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".utf8)
        message += Array(".starts with a dot\r\n..two dots\r\n.\r\n. dot space\r\nÜmlaut and € sign\r\n".utf8)
        message += [UInt8](repeating: UInt8(ascii: "x"), count: 5000) + [0x0D, 0x0A]
        message += [0xE9, 0xFF, 0x80] + Array(" raw 8-bit   \r\n\r\n.\r\nend\r\n".utf8)
        return message
    }

    /// The id in `250 2.0.0 Ok: queued as <id>`.
    static func queuedID(_ result: OutboundResult) throws -> String {
        let text = try #require(result.lastReply?.text)
        let range = try #require(text.range(of: "queued as "))
        return String(text[range.upperBound...])
    }

    @Test func storedBytesAreTheSentBytesPlusTheReceivedHeader() async throws {
        try await MailpenServerFixture.with { server in
            let original = Self.trickyMessage()
            let trace = ReceivedHeader(
                heloName: "client.example", clientAddress: "192.0.2.7", hostname: "mailpen.test",
                protocolName: "ESMTPS", id: "01TEST", recipient: "b@example.com", date: Date(timeIntervalSince1970: 0))
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"], content: trace.prepended(to: original))
            let result = await Self.client.send(message, to: Self.target(port: server.smtpPort))
            #expect(result.outcome == .sent, "\(result)")
            #expect(result.recipients.map(\.outcome) == [.sent])
            let raw = try #require(try await server.store.rawMessage(id: try Self.queuedID(result)))
            let header = Array(trace.field.utf8)
            #expect(Array(raw.prefix(header.count)) == header)
            #expect(Array(raw.dropFirst(header.count)) == original, "the stored bytes are exactly the original")
            let envelope = try #require(try await server.store.envelope(id: try Self.queuedID(result)))
            #expect(envelope.mailFrom == "a@example.com")
            #expect(envelope.recipients.map(\.address) == ["b@example.com"])
            #expect(envelope.heloName == "relay.test")
            #expect(
                envelope.mailParameters == [
                    .init(keyword: "SIZE", value: String(message.content.count)),
                    .init(keyword: "BODY", value: "8BITMIME"),
                ])
        }
    }

    @Test func lastLineWithoutCRLFGetsOne() async throws {
        try await MailpenServerFixture.with { server in
            let content = Array("Subject: open end\r\n\r\nno newline at the end".utf8)
            let message = OutboundMessage(mailFrom: "a@example.com", recipients: ["b@example.com"], content: content)
            let result = await Self.client.send(message, to: Self.target(port: server.smtpPort))
            let raw = try await server.store.rawMessage(id: try Self.queuedID(result))
            #expect(raw == content + [0x0D, 0x0A])
        }
    }

    @Test func pipelinedRecipientsArriveInOrder() async throws {
        try await MailpenServerFixture.with { server in
            let recipients = (1...25).map { "r\($0)@example.com" }
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: recipients, content: Array("Subject: many\r\n\r\nhi\r\n".utf8))
            let result = await Self.client.send(message, to: Self.target(port: server.smtpPort))
            #expect(result.outcome == .sent)
            #expect(result.recipients.map(\.address) == recipients)
            #expect(result.recipients.allSatisfy { $0.reply?.text == "250 2.1.5 Ok" && $0.outcome == .sent })
            let envelope = try #require(try await server.store.envelope(id: try Self.queuedID(result)))
            #expect(envelope.recipients.map(\.address) == recipients)
        }
    }

    @Test func unicodeAddressesUseSMTPUTF8() async throws {
        try await MailpenServerFixture.with { server in
            let message = OutboundMessage(
                mailFrom: "jörg@bücher.example", recipients: ["renée@exämple.example"],
                content: Array("Subject: utf8\r\n\r\nhi\r\n".utf8))
            let result = await Self.client.send(message, to: Self.target(port: server.smtpPort))
            #expect(result.outcome == .sent, "\(result)")
            let envelope = try #require(try await server.store.envelope(id: try Self.queuedID(result)))
            #expect(envelope.mailFrom == "jörg@bücher.example")
            #expect(envelope.recipients.map(\.address) == ["renée@exämple.example"])
            #expect(envelope.mailParameters.contains(.init(keyword: "SMTPUTF8", value: nil)))
        }
    }

    @Test func largeMessageArrivesIntact() async throws {
        try await MailpenServerFixture.with { server in
            var content = Array("Subject: big\r\n\r\n".utf8)
            for index in 0..<40_000 { content += Array(".line \(index) \(String(repeating: "y", count: 60))\r\n".utf8) }
            let message = OutboundMessage(mailFrom: "a@example.com", recipients: ["b@example.com"], content: content)
            let result = await Self.client.send(message, to: Self.target(port: server.smtpPort))
            #expect(result.outcome == .sent, "\(result)")
            let raw = try await server.store.rawMessage(id: try Self.queuedID(result))
            #expect(raw == content)
        }
    }

    @Test func mailFromOverride() async throws {
        try await MailpenServerFixture.with { server in
            var target = Self.target(port: server.smtpPort)
            target.mailFrom = "bounces@relay.example"
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"], content: Array("Subject: s\r\n\r\nx\r\n".utf8)
            )
            let result = await Self.client.send(message, to: target)
            let envelope = try #require(try await server.store.envelope(id: try Self.queuedID(result)))
            #expect(envelope.mailFrom == "bounces@relay.example")
        }
    }

    @Test func messageOverTheServersSizeLimitIsNotSent() async throws {
        try await MailpenServerFixture.with({ $0.maximumMessageSize = 100 }) { server in
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"],
                content: Array(("Subject: s\r\n\r\n" + String(repeating: "z", count: 200) + "\r\n").utf8))
            let result = await Self.client.send(message, to: Self.target(port: server.smtpPort))
            #expect(result.outcome == .permanentFailure)
            #expect(result.error?.contains("accepts at most 100 (SIZE)") == true)
            let stored = try await server.store.inbox(named: "default")?.total
            #expect(stored == 0)
        }
    }

    // MARK: - TLS

    @Test func startTLSWithoutVerification() async throws {
        try await MailpenServerFixture.with({ $0.tls = .automatic }) { server in
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"], content: Self.trickyMessage())
            let result = await Self.client.send(
                message, to: Self.target(port: server.smtpPort, tls: .startTLS, verify: false))
            #expect(result.outcome == .sent, "\(result)")
            let id = try Self.queuedID(result)
            #expect(try await server.store.rawMessage(id: id) == message.content)
            let envelope = try #require(try await server.store.envelope(id: id))
            #expect(envelope.tlsVersion?.hasPrefix("TLS") == true)
        }
    }

    @Test func startTLSWithVerificationRefusesASelfSignedCertificate() async throws {
        try await MailpenServerFixture.with({ $0.tls = .automatic }) { server in
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"], content: Array("Subject: s\r\n\r\nx\r\n".utf8)
            )
            let result = await Self.client.send(
                message, to: Self.target(port: server.smtpPort, tls: .startTLS, verify: true, host: "localhost"))
            #expect(result.outcome == .temporaryFailure)
            let error = try #require(result.error)
            #expect(error.contains("the certificate of localhost is not trusted"), "\(error)")
            #expect(error.contains("verify=false"))
            #expect(try await server.store.inbox(named: "default")?.total == 0)
        }
    }

    @Test func startTLSVerifiesAgainstAnExtraTrustedRoot() async throws {
        let authority = try TestCertificateAuthority()
        let (certificate, key) = try authority.issue(dnsName: "localhost")
        try await withCertificateFiles(authority: try authority.pem(), certificate: certificate, key: key) {
            ca, cert, key in
            try await MailpenServerFixture.with({ $0.tls = .files(certificate: cert, privateKey: key) }) { server in
                var target = Self.target(port: server.smtpPort, tls: .startTLS, verify: true, host: "localhost")
                target.trustRootsPath = ca
                let result = await Self.client.send(Self.smallMessage, to: target)
                #expect(result.outcome == .sent, "\(result)")
            }
        }
    }

    @Test func startTLSRefusesACertificateForAnotherName() async throws {
        let authority = try TestCertificateAuthority()
        let (certificate, key) = try authority.issue(dnsName: "mail.elsewhere.test")
        try await withCertificateFiles(authority: try authority.pem(), certificate: certificate, key: key) {
            ca, cert, key in
            try await MailpenServerFixture.with({ $0.tls = .files(certificate: cert, privateKey: key) }) { server in
                // Signed by a trusted authority, but not for "localhost": the name check must refuse it.
                var target = Self.target(port: server.smtpPort, tls: .startTLS, verify: true, host: "localhost")
                target.trustRootsPath = ca
                let result = await Self.client.send(Self.smallMessage, to: target)
                #expect(result.outcome == .temporaryFailure)
                #expect(result.error?.contains("TLS handshake failed") == true, "\(result)")
                let stored = try await server.store.inbox(named: "default")?.total
                #expect(stored == 0)
            }
        }
    }

    static let smallMessage = OutboundMessage(
        mailFrom: "a@example.com", recipients: ["b@example.com"], content: Array("Subject: s\r\n\r\nx\r\n".utf8))

    /// Writes the PEM texts to files and passes their paths (authority, certificate, key) to `body`.
    private func withCertificateFiles(
        authority: String, certificate: String, key: String, _ body: (String, String, String) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory(prefix: "mailpen-ca") { directory in
            var paths: [String] = []
            for (name, text) in [("ca.pem", authority), ("cert.pem", certificate), ("key.pem", key)] {
                let path = directory.appendingPathComponent(name).path
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                paths.append(path)
            }
            try await body(paths[0], paths[1], paths[2])
        }
    }

    @Test func implicitTLS() async throws {
        try await MailpenServerFixture.with({
            $0.tls = .automatic
            $0.smtpsHost = "127.0.0.1"
            $0.smtpsPort = 0
        }) { server in
            let port = try #require(server.smtpsPort)
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"], content: Self.trickyMessage())
            let result = await Self.client.send(message, to: Self.target(port: port, tls: .implicit, verify: false))
            #expect(result.outcome == .sent, "\(result)")
            let id = try Self.queuedID(result)
            #expect(try await server.store.rawMessage(id: id) == message.content)
            #expect(try await server.store.envelope(id: id)?.tlsVersion != nil)

            let verified = await Self.client.send(
                message, to: Self.target(port: port, tls: .implicit, verify: true, host: "localhost"))
            #expect(verified.outcome == .temporaryFailure)
            #expect(verified.error?.contains("not trusted") == true)
        }
    }

    @Test func startTLSRequiredButNotOffered() async throws {
        try await MailpenServerFixture.with { server in
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"], content: Array("Subject: s\r\n\r\nx\r\n".utf8)
            )
            let result = await Self.client.send(message, to: Self.target(port: server.smtpPort, tls: .startTLS))
            #expect(result.outcome == .temporaryFailure)
            #expect(result.error == "the server does not offer STARTTLS, which tls=starttls requires")
        }
    }

    // MARK: - AUTH

    @Test(arguments: SMTPClientAuthentication.Mechanism.allCases)
    func authenticationSucceeds(mechanism: SMTPClientAuthentication.Mechanism) async throws {
        try await MailpenServerFixture.with({ $0.authenticationPolicy = .strict }) { server in
            _ = try await server.store.createInbox(named: "shop", password: "pässword:with spaces")
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"],
                content: Array("Subject: auth\r\n\r\nx\r\n".utf8))
            let credentials = SMTPClientAuthentication(
                mechanism: mechanism, username: "shop", password: "pässword:with spaces")
            let result = await Self.client.send(
                message, to: Self.target(port: server.smtpPort, authentication: credentials))
            #expect(result.outcome == .sent, "\(result)")
            let id = try Self.queuedID(result)
            #expect(try await server.store.summary(id: id)?.inbox == "shop")
            #expect(try await server.store.envelope(id: id)?.authenticatedUser == "shop")
        }
    }

    @Test(arguments: SMTPClientAuthentication.Mechanism.allCases)
    func authenticationFails(mechanism: SMTPClientAuthentication.Mechanism) async throws {
        try await MailpenServerFixture.with({ $0.authenticationPolicy = .strict }) { server in
            _ = try await server.store.createInbox(named: "shop", password: "right")
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"],
                content: Array("Subject: auth\r\n\r\nx\r\n".utf8))
            let credentials = SMTPClientAuthentication(mechanism: mechanism, username: "shop", password: "wrong")
            let result = await Self.client.send(
                message, to: Self.target(port: server.smtpPort, authentication: credentials))
            #expect(result.outcome == .permanentFailure)
            #expect(result.lastReply?.code == 535)
            #expect(result.error?.hasPrefix("AUTH \(mechanism.rawValue) as shop refused: 535") == true, "\(result)")
            #expect(!(result.error ?? "").contains("wrong"))
            #expect(try await server.store.inbox(named: "shop")?.total == 0)
        }
    }

    @Test func authenticationOverStartTLS() async throws {
        try await MailpenServerFixture.with({
            $0.tls = .automatic
            $0.authenticationPolicy = .strict
        }) { server in
            _ = try await server.store.createInbox(named: "billing", password: "pw")
            let message = OutboundMessage(
                mailFrom: "a@example.com", recipients: ["b@example.com"], content: Array("Subject: s\r\n\r\nx\r\n".utf8)
            )
            let credentials = SMTPClientAuthentication(mechanism: .login, username: "billing", password: "pw")
            let result = await Self.client.send(
                message,
                to: Self.target(port: server.smtpPort, tls: .startTLS, verify: false, authentication: credentials))
            #expect(result.outcome == .sent, "\(result)")
            let envelope = try #require(try await server.store.envelope(id: try Self.queuedID(result)))
            #expect(envelope.authenticatedUser == "billing")
            #expect(envelope.tlsVersion != nil)
        }
    }
}

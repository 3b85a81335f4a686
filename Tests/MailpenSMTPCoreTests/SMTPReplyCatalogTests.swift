import MailpenSMTPCore
import Testing

@Suite("Reply catalog")
struct SMTPReplyCatalogTests {
    /// Every reply of the catalog, with sample arguments.
    static let replies: [SMTPReply] = [
        .greeting(hostname: "mx.test"), .hello(hostname: "mx.test"),
        .extendedHello(hostname: "mx.test", clientDomain: "c.test", maximumMessageSize: 10, offersStartTLS: true),
        .help(webURL: "http://mx.test:8025/"), .help(webURL: nil), .ok, .cannotVerify, .bye,
        .senderAccepted, .recipientAccepted, .startMailInput, .chunkReceived(octets: 5), .queued(as: "ID"),
        .storageFailure, .inboxDoesNotExist("shop"),
        .messageTooBig, .tooManyRecipients, .lineTooLong,
        .badSequence, .heloFirst, .needMail, .needRecipient, .nestedMail, .extendedHelloFirst,
        .alreadyAuthenticated, .authenticationInTransaction, .tlsAlreadyActive,
        .unrecognized, .invalidCharacters, .invalidUTF8, .syntax("X"), .badAddress("x"), .unknownParameter("X"),
        .expandNotSupported, .startTLSNotAvailable, .unsupportedMechanism("X"),
        .readyToStartTLS,
        .challenge(""), .authenticationSucceeded, .authenticationFailed, .authenticationCancelled,
        .cannotDecodeResponse,
        .tooManyErrors, .tooManyConnections, .shuttingDown, .timeout,
    ]

    /// Each line as RFC 5321 writes it: the code, "-" before another line or " " before none, the enhanced
    /// code and a space when there is text, the text, CRLF.
    @Test("replies go on the wire line by line", arguments: replies)
    func wireFormat(_ reply: SMTPReply) {
        var expected = ""
        for (index, line) in reply.lines.enumerated() {
            let separator = index == reply.lines.count - 1 ? " " : "-"
            let prefix = reply.enhancedCode.map { line.isEmpty ? $0 : $0 + " " } ?? ""
            expected += "\(reply.code)\(separator)\(prefix)\(line)\r\n"
        }
        #expect(reply.wireFormat == expected)
    }

    /// RFC 3463: the enhanced code's class is the reply code's first digit, and its subject and detail are
    /// numbers. Replies that start something (220, 334, 354) or greet (250 to HELO and EHLO) carry none,
    /// except the 220 to STARTTLS.
    @Test("enhanced codes agree with reply codes", arguments: replies)
    func enhancedCodeAgreesWithCode(_ reply: SMTPReply) throws {
        #expect((200...599).contains(reply.code))
        guard let enhanced = reply.enhancedCode else {
            #expect([220, 250, 334, 354].contains(reply.code), "\(reply.wireFormat)")
            return
        }
        let parts = enhanced.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.first.map(String.init) == String(reply.code / 100))
        #expect(parts.allSatisfy { $0.allSatisfy(\.isASCII) && Int($0) != nil })
    }

    @Test func refusalsAHostSends() {
        #expect(SMTPReply.storageFailure.wireFormat == "451 4.3.0 Error: could not store message, try again later\r\n")
        #expect(SMTPReply.inboxDoesNotExist("shop").wireFormat == "550 5.1.1 Error: inbox shop does not exist\r\n")
        #expect(SMTPReply.queued(as: "01ABC").wireFormat == "250 2.0.0 Ok: queued as 01ABC\r\n")
    }
}

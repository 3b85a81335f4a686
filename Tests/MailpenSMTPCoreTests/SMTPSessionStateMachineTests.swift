import Foundation
import Testing

@testable import MailpenSMTPCore

@Suite("SMTP session state machine")
struct SMTPSessionStateMachineTests {
    /// Ways to bring a fresh session into each state.
    enum Setup: String, CaseIterable, Sendable {
        case fresh, greeted, mail, recipient, chunking

        func apply(to driver: inout SessionDriver) {
            switch self {
            case .fresh:
                break
            case .greeted:
                driver.send("EHLO client.test")
            case .mail:
                driver.run(["EHLO client.test", "MAIL FROM:<a@test>"])
            case .recipient:
                driver.run(["EHLO client.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>"])
            case .chunking:
                driver.run(["EHLO client.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>", "BDAT 3"])
                _ = driver.feed("abc")
            }
        }
    }

    /// The expected first reply code for every command in every state
    /// (0: the transaction is delivered, 1: credentials are checked).
    static let table: [(command: String, expected: [Setup: Int])] = [
        ("EHLO other.test", [.fresh: 250, .greeted: 250, .mail: 250, .recipient: 250, .chunking: 250]),
        ("HELO other.test", [.fresh: 250, .greeted: 250, .mail: 250, .recipient: 250, .chunking: 250]),
        ("MAIL FROM:<x@test>", [.fresh: 503, .greeted: 250, .mail: 503, .recipient: 503, .chunking: 503]),
        ("RCPT TO:<y@test>", [.fresh: 503, .greeted: 503, .mail: 250, .recipient: 250, .chunking: 503]),
        ("DATA", [.fresh: 503, .greeted: 503, .mail: 503, .recipient: 354, .chunking: 503]),
        ("BDAT 0 LAST", [.fresh: 503, .greeted: 503, .mail: 503, .recipient: 0, .chunking: 0]),
        ("RSET", [.fresh: 250, .greeted: 250, .mail: 250, .recipient: 250, .chunking: 250]),
        ("NOOP", [.fresh: 250, .greeted: 250, .mail: 250, .recipient: 250, .chunking: 250]),
        ("QUIT", [.fresh: 221, .greeted: 221, .mail: 221, .recipient: 221, .chunking: 221]),
        ("HELP", [.fresh: 214, .greeted: 214, .mail: 214, .recipient: 214, .chunking: 214]),
        ("VRFY bob", [.fresh: 252, .greeted: 252, .mail: 252, .recipient: 252, .chunking: 252]),
        ("EXPN staff", [.fresh: 502, .greeted: 502, .mail: 502, .recipient: 502, .chunking: 502]),
        ("STARTTLS", [.fresh: 502, .greeted: 502, .mail: 502, .recipient: 502, .chunking: 502]),
        ("AUTH PLAIN AGJvYgBzZWNyZXQ=", [.fresh: 503, .greeted: 1, .mail: 503, .recipient: 503, .chunking: 503]),
        ("AUTH XOAUTH2", [.fresh: 503, .greeted: 504, .mail: 503, .recipient: 503, .chunking: 503]),
        ("FROB", [.fresh: 500, .greeted: 500, .mail: 500, .recipient: 500, .chunking: 500]),
    ]

    static let cases: [(String, Setup, Int)] = table.flatMap { row in
        Setup.allCases.map { setup in (row.command, setup, row.expected[setup] ?? -99) }
    }

    @Test("every command in every state", arguments: cases)
    func commandInState(command: String, setup: Setup, expected: Int) {
        var driver = SessionDriver()
        setup.apply(to: &driver)
        #expect(driver.send(command).code == expected, "\(command) in state \(setup)")
    }

    static let tlsTable: [(Setup, Int)] = [
        (.fresh, 220), (.greeted, 220), (.mail, 503), (.recipient, 503), (.chunking, 503),
    ]

    @Test("STARTTLS in every state when TLS is configured", arguments: tlsTable)
    func startTLSInState(setup: Setup, expected: Int) {
        var driver = SessionDriver(.init(hostname: "mx.test", offersStartTLS: true))
        setup.apply(to: &driver)
        let action = driver.send("STARTTLS")
        #expect(action.code == expected)
        if expected == 220 {
            guard case .replyAndStartTLS = action else {
                Issue.record("expected the handshake to start")
                return
            }
            #expect(driver.machine.inputMode == .suspended)
        }
    }

    @Test func greetingNamesTheHost() {
        var machine = SMTPSessionStateMachine(configuration: .init(hostname: "mx.test"), challengeNonce: "n")
        let action = machine.connectionOpened()
        #expect(action.reply?.wireFormat == "220 mx.test ESMTP Mailpen\r\n")
    }

    @Test func refusesConnectionsOverTheLimit() {
        var machine = SMTPSessionStateMachine(configuration: .init(), challengeNonce: "n")
        let action = machine.connectionOpened(accepting: false)
        #expect(action.codes == [421])
        #expect(action.reply?.enhancedCode == "4.7.0")
        #expect(action.closes)
        #expect(machine.inputMode == .closed)
    }

    @Test func ehloAdvertisesEveryExtension() throws {
        var driver = SessionDriver(.init(hostname: "mx.test", maximumMessageSize: 1234, offersStartTLS: true))
        let reply = try #require(driver.send("EHLO client.test").reply)
        #expect(
            reply.wireFormat
                == """
                250-mx.test Hello client.test\r
                250-PIPELINING\r
                250-SIZE 1234\r
                250-8BITMIME\r
                250-SMTPUTF8\r
                250-ENHANCEDSTATUSCODES\r
                250-CHUNKING\r
                250-DSN\r
                250-STARTTLS\r
                250-AUTH PLAIN LOGIN CRAM-MD5\r
                250 HELP\r

                """)
    }

    @Test func helpNamesTheConfiguredWebURL() throws {
        var driver = SessionDriver(.init(hostname: "mx.test", helpURL: "http://mail.test:9000/"))
        let reply = try #require(driver.send("HELP").reply)
        #expect(
            reply.wireFormat
                == """
                214-2.0.0 Mailpen captures every message it is sent and relays none.\r
                214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY EXPN STARTTLS AUTH\r
                214 2.0.0 See http://mail.test:9000/ for the captured mail\r

                """)
        // Without a web UI to point to, HELP names none (and no guessed port).
        var bare = SessionDriver(.init(hostname: "mx.test"))
        let bareReply = try #require(bare.send("HELP").reply)
        #expect(bareReply.lines.count == 2)
        #expect(!bareReply.wireFormat.contains("http"))
    }

    @Test func ehloHidesStartTLSOnceTLSIsOn() throws {
        var driver = SessionDriver(.init(hostname: "mx.test", offersStartTLS: true))
        driver.run(["EHLO a.test", "STARTTLS"])
        _ = driver.machine.tlsEstablished(version: "TLSv1.3")
        let reply = try #require(driver.send("EHLO a.test").reply)
        #expect(!reply.lines.contains("STARTTLS"))
        #expect(driver.send("STARTTLS").code == 503)
    }

    @Test func tlsResetsTheSession() {
        var driver = SessionDriver(.init(hostname: "mx.test", offersStartTLS: true))
        driver.run(["EHLO a.test", "STARTTLS"])
        _ = driver.machine.tlsEstablished(version: "TLSv1.2")
        #expect(driver.machine.session.heloName == nil)
        #expect(driver.send("MAIL FROM:<a@test>").code == 503)
        #expect(driver.machine.session.tlsVersion == "TLSv1.2")
    }

    @Test func completeDataTransaction() throws {
        var driver = SessionDriver()
        driver.run(["EHLO client.test", "MAIL FROM:<a@test> SIZE=100 BODY=8BITMIME", "RCPT TO:<b@test> NOTIFY=NEVER"])
        #expect(driver.send("RCPT TO:<c@test>").code == 250)
        #expect(driver.send("DATA").code == 354)
        #expect(driver.machine.inputMode == .messageData)
        let content = "Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\nQUIT\r\n"
        let (consumed, action) = driver.feed(content)
        #expect(consumed == content.utf8.count - "QUIT\r\n".utf8.count)
        let transaction = try #require(action.transaction)
        #expect(String(decoding: transaction.message, as: UTF8.self) == "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n")
        #expect(transaction.envelope.mailFrom == "a@test")
        #expect(transaction.envelope.recipients.map(\.address) == ["b@test", "c@test"])
        #expect(transaction.envelope.recipients[0].parameters == [.init(keyword: "NOTIFY", value: "NEVER")])
        #expect(transaction.envelope.mailParameters.map(\.keyword) == ["SIZE", "BODY"])
        #expect(transaction.envelope.session.heloName == "client.test")
        #expect(transaction.envelope.session.usedExtendedHello)
        #expect(driver.machine.inputMode == .suspended)
        let reply = try #require(driver.machine.deliveryCompleted(.accepted(id: "01ABC")).reply)
        #expect(reply.wireFormat == "250 2.0.0 Ok: queued as 01ABC\r\n")
        #expect(driver.machine.inputMode == .commandLine)
        // The transaction is over: a new one needs MAIL again.
        #expect(driver.send("RCPT TO:<b@test>").code == 503)
    }

    @Test func rejectedDeliveryRepliesWithTheRejection() {
        var driver = SessionDriver()
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>", "DATA"])
        _ = driver.feed("x\r\n.\r\n")
        let action = driver.machine.deliveryCompleted(.rejected(.storageFailure))
        #expect(action.reply == SMTPReply(451, "4.3.0", "Error: could not store message, try again later"))
        #expect(driver.send("MAIL FROM:<a@test>").code == 250)
    }

    @Test func nullSenderIsAccepted() throws {
        var driver = SessionDriver()
        driver.run(["HELO c.test", "MAIL FROM:<>", "RCPT TO:<b@test>", "DATA"])
        let transaction = try #require(driver.feed(".\r\n").action.transaction)
        #expect(transaction.envelope.mailFrom == "")
        #expect(transaction.message.isEmpty)
        #expect(!transaction.envelope.session.usedExtendedHello)
    }

    @Test func chunkedTransactionWithPipelinedChunks() throws {
        var driver = SessionDriver()
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>"])
        #expect(driver.send("BDAT 5").code == -1)
        #expect(driver.machine.inputMode == .chunk(remaining: 5))
        let first = driver.feed("Hel")
        #expect(first.consumed == 3 && first.action.code == -1)
        #expect(driver.machine.inputMode == .chunk(remaining: 2))
        let second = driver.feed("lo\r\nBDAT")
        #expect(second.consumed == 2)
        #expect(second.action.reply?.wireFormat == "250 2.0.0 Ok: 5 octets received\r\n")
        #expect(driver.send("BDAT 7 LAST").code == -1)
        let last = try #require(driver.feed(".\r\n.\r\nx").action.transaction)
        #expect(last.message == Array("Hello.\r\n.\r\nx".utf8))
    }

    @Test func dataAfterChunkingIsRefused() {
        var driver = SessionDriver()
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>", "BDAT 1"])
        _ = driver.feed("a")
        #expect(driver.send("DATA").code == 503)
    }

    @Test func chunkWithoutTransactionIsReadThenRefused() {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        #expect(driver.send("BDAT 4").code == -1)
        #expect(driver.machine.inputMode == .chunk(remaining: 4))
        let (consumed, action) = driver.feed("MAIL FROM:<x@y>\r\n")
        #expect(consumed == 4)
        #expect(action.code == 503)
        #expect(driver.machine.inputMode == .commandLine)
    }

    /// A BDAT with junk after a size it could read is a 501, but its chunk follows all the same: the chunk is
    /// read and dropped, not taken for the client's next commands.
    @Test func chunkOfAMalformedBDATIsReadThenRefused() {
        var driver = SessionDriver()
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>"])
        #expect(driver.send("BDAT 17 LAST extra").code == -1)
        #expect(driver.machine.inputMode == .chunk(remaining: 17))
        let (consumed, action) = driver.feed("RSET\r\nQUIT\r\nNOOP\r\nQUIT")
        #expect(consumed == 17)
        #expect(action.code == 501)
        #expect(driver.machine.inputMode == .commandLine)
        // The transaction is still open: its recipient is there, and the next chunk goes on with it.
        #expect(driver.send("BDAT 2 LAST").code == -1)
        #expect(driver.feed("ok").action.code == 0)
    }

    @Test func sizeParameterOverLimitIsRefusedAtMail() {
        var driver = SessionDriver(.init(maximumMessageSize: 1000))
        driver.send("EHLO c.test")
        let action = driver.send("MAIL FROM:<a@test> SIZE=1001")
        #expect(action.code == 552)
        #expect(action.reply?.enhancedCode == "5.3.4")
        #expect(driver.send("MAIL FROM:<a@test> SIZE=1000").code == 250)
    }

    @Test func messageOverLimitIsRefusedAfterData() {
        var driver = SessionDriver(.init(maximumMessageSize: 10))
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>", "DATA"])
        let (_, action) = driver.feed("0123456789ABCDEF\r\n.\r\n")
        #expect(action.codes == [552])
        #expect(action.reply?.enhancedCode == "5.3.4")
        #expect(driver.machine.inputMode == .commandLine)
        #expect(driver.send("RCPT TO:<b@test>").code == 503)
    }

    @Test func chunkOverLimitIsDiscardedAndRefused() {
        var driver = SessionDriver(.init(maximumMessageSize: 10))
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>", "BDAT 6"])
        _ = driver.feed("012345")
        #expect(driver.send("BDAT 6 LAST").code == -1)
        let (consumed, action) = driver.feed("678901")
        #expect(consumed == 6)
        #expect(action.code == 552)
        #expect(driver.send("BDAT 1 LAST").code == -1)
        #expect(driver.feed("x").action.code == 503)
    }

    @Test func messageExactlyAtLimitIsAccepted() {
        var driver = SessionDriver(.init(maximumMessageSize: 6))
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>", "DATA"])
        #expect(driver.feed("1234\r\n.\r\n").action.code == 0)
    }

    @Test func tooManyRecipients() {
        var driver = SessionDriver(.init(maximumRecipients: 2))
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<1@test>", "RCPT TO:<2@test>"])
        let action = driver.send("RCPT TO:<3@test>")
        #expect(action.code == 452)
        #expect(action.reply?.enhancedCode == "4.5.3")
        #expect(driver.send("DATA").code == 354)
    }

    static let parameterCases: [(String, Int, String?)] = [
        ("MAIL FROM:<a@test> FOO=1", 555, "5.5.4"),
        ("MAIL FROM:<a@test> BODY=BINARYMIME", 501, "5.5.4"),
        ("MAIL FROM:<a@test> BODY=7bit", 250, "2.1.0"),
        ("MAIL FROM:<a@test> SIZE=abc", 501, "5.5.4"),
        ("MAIL FROM:<a@test> SIZE=10 SIZE=10", 501, "5.5.4"),
        ("MAIL FROM:<a@test> SMTPUTF8=yes", 501, "5.5.4"),
        ("MAIL FROM:<a@test> RET=FULL ENVID=QQ314159", 250, "2.1.0"),
        ("MAIL FROM:<a@test> RET=SOME", 501, "5.5.4"),
        ("MAIL FROM:<a@test> AUTH=<>", 250, "2.1.0"),
        ("MAIL FROM:<a@test> AUTH=a+2Bb@test", 250, "2.1.0"),
        ("MAIL FROM:<a@test> AUTH=a+zz", 501, "5.5.4"),
    ]

    @Test("MAIL parameters", arguments: parameterCases)
    func mailParameters(command: String, code: Int, enhanced: String?) {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        let action = driver.send(command)
        #expect(action.code == code)
        #expect(action.reply?.enhancedCode == enhanced)
    }

    static let recipientParameterCases: [(String, Int)] = [
        ("RCPT TO:<b@test> NOTIFY=NEVER", 250),
        ("RCPT TO:<b@test> NOTIFY=SUCCESS,DELAY", 250),
        ("RCPT TO:<b@test> NOTIFY=NEVER,SUCCESS", 501),
        ("RCPT TO:<b@test> NOTIFY=SOMETIMES", 501),
        ("RCPT TO:<b@test> NOTIFY=SUCCESS,SUCCESS", 501),
        ("RCPT TO:<b@test> ORCPT=rfc822;b@test", 250),
        ("RCPT TO:<b@test> ORCPT=b@test", 501),
        ("RCPT TO:<b@test> SIZE=1", 555),
        ("RCPT TO:<b@test> XFORWARD=1", 555),
    ]

    @Test("RCPT parameters", arguments: recipientParameterCases)
    func recipientParameters(command: String, code: Int) {
        var driver = SessionDriver()
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>"])
        #expect(driver.send(command).code == code)
    }

    @Test func overlongLineGetsLineTooLong() {
        var driver = SessionDriver()
        let action = driver.machine.receiveOverlongLine()
        #expect(action.code == 500)
        #expect(action.reply?.enhancedCode == "5.5.6")
        #expect(driver.send("EHLO c.test").code == 250)
    }

    @Test func tooManyErrorsClosesTheConnection() {
        var driver = SessionDriver(.init(maximumErrors: 3))
        #expect(driver.send("X").code == 500)
        #expect(driver.send("Y").code == 500)
        let action = driver.send("Z")
        #expect(action.codes == [500, 421])
        #expect(action.closes)
        #expect(driver.machine.inputMode == .closed)
    }

    @Test func quitCloses() {
        var driver = SessionDriver()
        let action = driver.send("QUIT")
        #expect(action.reply?.wireFormat == "221 2.0.0 Bye\r\n")
        #expect(action.closes)
        #expect(driver.send("NOOP").code == -1)
    }

    /// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with its CRLF, even when it echoes a long
    /// address of a command line within Mailpen's larger line limit.
    @Test func repliesEchoingLongInputStayWithin512Octets() {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        let reply = driver.send("MAIL FROM:<\(String(repeating: "a", count: 3000))>").reply
        #expect(reply?.code == 501)
        let wire = reply?.wireFormat ?? ""
        #expect(wire.utf8.count == 512)
        #expect(wire.hasPrefix("501 5.1.3 Error: bad address syntax <aaaa"))
        #expect(wire.hasSuffix("aaa...\r\n"))
        // Cut between scalars: two-octet "é"s never leave half a character.
        let accented = SMTPReply(501, "5.5.4", String(repeating: "é", count: 400)).wireFormat
        #expect(accented.utf8.count <= 512)
        #expect(accented.hasSuffix("é...\r\n"))
        #expect(SMTPReply(250, "2.0.0", "Ok").wireFormat == "250 2.0.0 Ok\r\n")
    }

    @Test func idleTimeoutCloses() {
        var driver = SessionDriver()
        let action = driver.machine.idleTimeoutExpired()
        #expect(action.codes == [421])
        #expect(action.closes)
        // A timer firing after the session closed (here by QUIT) gets no second reply.
        #expect(driver.machine.idleTimeoutExpired().codes == [-1])
        var quitting = SessionDriver()
        #expect(quitting.send("QUIT").closes)
        #expect(quitting.machine.idleTimeoutExpired().codes == [-1])
    }

    @Test func shutdownClosesIdleSessionsAtOnce() {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        let action = driver.machine.shutdownRequested()
        #expect(action.codes == [421])
        #expect(action.reply?.enhancedCode == "4.3.2")
    }

    @Test func shutdownLetsATransactionFinish() {
        var driver = SessionDriver()
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>", "DATA"])
        #expect(driver.machine.shutdownRequested().code == -1)
        #expect(driver.feed("x\r\n.\r\n").action.code == 0)
        let action = driver.machine.deliveryCompleted(.accepted(id: "ID"))
        #expect(action.codes == [250, 421])
        #expect(action.closes)
    }

    @Test func shutdownGraceEndsATransaction() {
        var driver = SessionDriver()
        driver.run(["EHLO c.test", "MAIL FROM:<a@test>"])
        #expect(driver.machine.shutdownRequested().code == -1)
        #expect(driver.send("RCPT TO:<b@test>").code == 250)
        #expect(driver.machine.shutdownGraceExpired().codes == [421])
    }
}

import Foundation
import Testing

@testable import MailpenOutbound

/// Drives a client state machine with scripted server replies and records what it does.
struct Dialogue {
    typealias Action = SMTPClientStateMachine.Action

    var machine: SMTPClientStateMachine
    /// Every command line the client sent, in order.
    var sent: [String] = []
    var lastAction: Action = .none

    /// Distinct timeouts per step, so tests can tell which one the machine chose.
    static let timeouts: SMTPClientTimeouts = {
        var timeouts = SMTPClientTimeouts()
        timeouts.greeting = .seconds(1)
        timeouts.command = .seconds(2)
        timeouts.mail = .seconds(3)
        timeouts.recipient = .seconds(4)
        timeouts.dataInitiation = .seconds(5)
        timeouts.dataBlock = .seconds(6)
        timeouts.dataTermination = .seconds(7)
        timeouts.quit = .seconds(8)
        return timeouts
    }()

    static let ehloFull =
        "250-mx.test Hello\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
        + "250-AUTH PLAIN LOGIN CRAM-MD5\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS"
    static let ehloBasic = "250-mx.test Hello\r\n250-SIZE 1000000\r\n250 ENHANCEDSTATUSCODES"

    init(
        message: OutboundMessage = Dialogue.message(), tls: SMTPClientTLSMode = .none,
        authentication: SMTPClientAuthentication? = nil
    ) {
        machine = SMTPClientStateMachine(
            configuration: .init(
                heloName: "client.test", tls: tls, authentication: authentication, timeouts: Self.timeouts),
            message: message)
    }

    static func message(
        from: String = "a@test", to recipients: [String] = ["b@test"], content: String = "Subject: t\r\n\r\nhi\r\n"
    ) -> OutboundMessage {
        OutboundMessage(mailFrom: from, recipients: recipients, content: Array(content.utf8))
    }

    @discardableResult
    mutating func connect() -> Action {
        record(machine.connected())
    }

    /// Feeds one reply (lines separated by CRLF, without the final CRLF).
    @discardableResult
    mutating func reply(_ text: String) -> Action {
        var parser = SMTPReplyParser()
        parser.append(Array((text + "\r\n").utf8))
        guard let reply = try? parser.nextReply() else {
            Issue.record("test reply does not parse: \(text)")
            return .none
        }
        return record(machine.received(reply))
    }

    @discardableResult
    mutating func record(_ action: Action) -> Action {
        lastAction = action
        if case .send(let bytes, _) = action {
            let text = String(decoding: bytes, as: UTF8.self)
            sent += text.components(separatedBy: "\r\n").dropLast()
        }
        return action
    }

    /// Greets and answers EHLO (and so on) until the transaction starts.
    mutating func greet(ehlo: String = Dialogue.ehloBasic) {
        connect()
        reply("220 mx.test ESMTP")
        reply(ehlo)
    }

    var result: OutboundResult? {
        if case .close(let result) = lastAction { return result }
        return nil
    }

    var timeout: Duration? {
        switch lastAction {
        case .send(_, let timeout), .awaitReply(let timeout), .startTLS(let timeout): return timeout
        case .sendMessage(_, let timeout): return timeout
        case .none, .close: return nil
        }
    }
}

@Suite("SMTP client state machine")
struct SMTPClientStateMachineTests {
    @Test func plainDialogueOneCommandAtATime() {
        var dialogue = Dialogue(message: Dialogue.message(to: ["b@test", "c@test"]))
        #expect(dialogue.connect() == .awaitReply(replyTimeout: .seconds(1)))
        dialogue.reply("220 mx.test ESMTP")
        #expect(dialogue.sent == ["EHLO client.test"])
        #expect(dialogue.timeout == .seconds(2))
        dialogue.reply(Dialogue.ehloBasic)
        #expect(dialogue.sent.last == "MAIL FROM:<a@test> SIZE=18")
        #expect(dialogue.timeout == .seconds(3))
        dialogue.reply("250 2.1.0 Ok")
        #expect(dialogue.sent.last == "RCPT TO:<b@test>")
        #expect(dialogue.timeout == .seconds(4))
        dialogue.reply("250 2.1.5 Ok")
        #expect(dialogue.sent.last == "RCPT TO:<c@test>")
        dialogue.reply("250 2.1.5 Ok")
        #expect(dialogue.sent.last == "DATA")
        #expect(dialogue.timeout == .seconds(5))
        let data = dialogue.reply("354 Go ahead")
        #expect(data == .sendMessage(Array("Subject: t\r\n\r\nhi\r\n.\r\n".utf8), blockTimeout: .seconds(6)))
        #expect(dialogue.record(dialogue.machine.messageWritten()) == .awaitReply(replyTimeout: .seconds(7)))
        dialogue.reply("250 2.0.0 Ok: queued as 42")
        #expect(dialogue.sent.last == "QUIT")
        #expect(dialogue.timeout == .seconds(8))
        dialogue.reply("221 2.0.0 Bye")
        let result = dialogue.result
        #expect(result?.outcome == .sent)
        #expect(result?.lastReply?.text == "250 2.0.0 Ok: queued as 42")
        #expect(result?.recipients.map(\.outcome) == [.sent, .sent])
        #expect(result?.recipients.map { $0.reply?.text } == ["250 2.1.5 Ok", "250 2.1.5 Ok"])
        #expect(result?.error == nil)
        #expect(dialogue.machine.isClosed)
    }

    @Test func pipeliningSendsMailRecipientsAndDataTogether() {
        var dialogue = Dialogue(message: Dialogue.message(to: ["b@test", "c@test", "d@test"]))
        dialogue.greet(ehlo: Dialogue.ehloFull.replacingOccurrences(of: "250 STARTTLS", with: "250 HELP"))
        guard case .send(let bytes, let timeout) = dialogue.lastAction else {
            Issue.record("expected the pipelined group, got \(dialogue.lastAction)")
            return
        }
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == "MAIL FROM:<a@test> SIZE=18\r\nRCPT TO:<b@test>\r\nRCPT TO:<c@test>\r\nRCPT TO:<d@test>\r\nDATA\r\n")
        #expect(timeout == .seconds(3))
        // Replies are matched to commands in order; each resets the timer to the next command's timeout.
        #expect(dialogue.reply("250 2.1.0 Ok") == .awaitReply(replyTimeout: .seconds(4)))
        #expect(dialogue.reply("250 2.1.5 Ok") == .awaitReply(replyTimeout: .seconds(4)))
        #expect(dialogue.reply("550 5.1.1 No such user") == .awaitReply(replyTimeout: .seconds(4)))
        #expect(dialogue.reply("250 2.1.5 Ok") == .awaitReply(replyTimeout: .seconds(5)))
        guard case .sendMessage = dialogue.reply("354 Go ahead") else {
            Issue.record("expected the message after 354")
            return
        }
        dialogue.record(dialogue.machine.messageWritten())
        dialogue.reply("250 2.0.0 Ok: queued as 7")
        dialogue.reply("221 Bye")
        let result = dialogue.result
        #expect(result?.outcome == .sent)
        #expect(result?.recipients.map(\.outcome) == [.sent, .permanentFailure, .sent])
        #expect(result?.recipients[1].reply?.text == "550 5.1.1 No such user")
        #expect(result?.recipientsToRetry == [])
    }

    @Test func pipelinedGroupWithEveryRecipientRefusedSendsNoData() {
        var dialogue = Dialogue(message: Dialogue.message(to: ["b@test", "c@test"]))
        dialogue.greet(ehlo: "250-mx\r\n250 PIPELINING")
        dialogue.reply("250 Ok")
        dialogue.reply("550 5.1.1 unknown")
        dialogue.reply("450 4.2.0 mailbox busy")
        dialogue.reply("554 5.5.1 no valid recipients")
        #expect(dialogue.sent.last == "QUIT")
        dialogue.reply("221 Bye")
        let result = dialogue.result
        #expect(result?.outcome == .temporaryFailure, "one recipient is worth retrying")
        #expect(result?.recipients.map(\.outcome) == [.permanentFailure, .temporaryFailure])
        #expect(result?.recipientsToRetry == ["c@test"])
        #expect(result?.error == "every recipient was refused")
    }

    @Test func pipelinedGroupWhereTheServerWantsDataForNobodyIsCutOff() {
        var dialogue = Dialogue()
        dialogue.greet(ehlo: "250-mx\r\n250 PIPELINING")
        dialogue.reply("250 Ok")
        dialogue.reply("550 5.1.1 unknown")
        dialogue.reply("354 go ahead anyway")
        #expect(!dialogue.sent.contains("QUIT"), "QUIT would be message data now")
        #expect(dialogue.result?.outcome == .permanentFailure)
        #expect(dialogue.machine.isClosed)
    }

    @Test func pipelinedGroupAfterARefusedMailFromUsesTheMailReply() {
        var dialogue = Dialogue(message: Dialogue.message(to: ["b@test", "c@test"]))
        dialogue.greet(ehlo: "250-mx\r\n250 PIPELINING")
        dialogue.reply("451 4.3.0 try later")
        dialogue.reply("503 5.5.1 need MAIL")
        dialogue.reply("503 5.5.1 need MAIL")
        dialogue.reply("503 5.5.1 need MAIL")
        #expect(dialogue.sent.last == "QUIT")
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.recipients.map(\.outcome) == [.temporaryFailure, .temporaryFailure])
        #expect(dialogue.result?.error == "MAIL FROM refused: 451 4.3.0 try later")
    }

    @Test func everyRecipientRefusedWithoutPipeliningSendsNoData() {
        var dialogue = Dialogue(message: Dialogue.message(to: ["b@test", "c@test"]))
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("550 5.1.1 unknown b")
        dialogue.reply("550 5.1.1 unknown c")
        #expect(
            dialogue.sent == [
                "EHLO client.test", "MAIL FROM:<a@test> SIZE=18", "RCPT TO:<b@test>", "RCPT TO:<c@test>", "QUIT",
            ])
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .permanentFailure)
        #expect(dialogue.result?.lastReply?.text == "550 5.1.1 unknown c")
    }

    @Test func temporaryRecipientFailureIsTemporary() {
        var dialogue = Dialogue()
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("451 4.7.1 greylisted, try again later")
        #expect(dialogue.sent.last == "QUIT")
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.recipientsToRetry == ["b@test"])
    }

    @Test(arguments: [
        ("451 4.3.0 disk full", OutboundResult.Outcome.temporaryFailure), ("554 5.7.1 spam", .permanentFailure),
    ])
    func refusalAfterTheMessageIsClassifiedByCode(reply: String, expected: OutboundResult.Outcome) {
        var dialogue = Dialogue()
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("250 Ok")
        dialogue.reply("354 Go")
        dialogue.record(dialogue.machine.messageWritten())
        dialogue.reply(reply)
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == expected)
        #expect(dialogue.result?.recipients.map(\.outcome) == [expected])
        #expect(dialogue.result?.lastReply?.text == reply)
    }

    /// A positive reply where another was due (a 250 to STARTTLS, say, from a server out of step or from
    /// someone on the path) sent nothing: the attempt is tried again, never taken as delivered.
    @Test(arguments: [
        (["250 not a greeting"], SMTPClientTLSMode.none),
        (["220 mx.test ESMTP", "250-mx\r\n250 STARTTLS", "250 sure, carry on"], .startTLS),
        (["220 mx.test ESMTP", Dialogue.ehloBasic, "354 what"], .none),
        (["220 mx.test ESMTP", Dialogue.ehloBasic, "250 Ok", "250 Ok", "250 no data needed"], .none),
    ])
    func positiveReplyOutOfStepIsATemporaryFailure(replies: [String], tls: SMTPClientTLSMode) {
        var dialogue = Dialogue(tls: tls)
        dialogue.connect()
        for reply in replies { dialogue.reply(reply) }
        if dialogue.result == nil { dialogue.reply("221 Bye") }
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.recipients.map(\.outcome) == [.temporaryFailure])
        #expect(dialogue.result?.recipientsToRetry == ["b@test"])
    }

    @Test func greeting421ClosesWithoutQuit() {
        var dialogue = Dialogue()
        dialogue.connect()
        dialogue.reply("421 4.3.2 mx.test busy, try later")
        #expect(dialogue.sent.isEmpty)
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.error == "the server closed the session: 421 4.3.2 mx.test busy, try later")
    }

    @Test func greeting554IsPermanentAndPolite() {
        var dialogue = Dialogue()
        dialogue.connect()
        dialogue.reply("554 5.7.1 no service for you")
        #expect(dialogue.sent == ["QUIT"])
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .permanentFailure)
    }

    @Test(arguments: [500, 502])
    func ehloNotRecognisedFallsBackToHelo(code: Int) {
        var dialogue = Dialogue()
        dialogue.connect()
        dialogue.reply("220 old.test SMTP")
        dialogue.reply("\(code) command not recognized")
        #expect(dialogue.sent == ["EHLO client.test", "HELO client.test"])
        dialogue.reply("250 old.test")
        #expect(dialogue.sent.last == "MAIL FROM:<a@test>", "no SIZE: HELO offers no extensions")
    }

    @Test func ehloRefusedOtherwiseIsAFailure() {
        var dialogue = Dialogue()
        dialogue.connect()
        dialogue.reply("220 mx")
        dialogue.reply("550 5.7.1 go away")
        #expect(dialogue.sent == ["EHLO client.test", "QUIT"])
    }

    @Test func eightBitMessageNeeds8BitMIME() {
        let message = Dialogue.message(content: "Subject: x\r\n\r\nÜmlaut\r\n")
        var refused = Dialogue(message: message)
        refused.greet()
        #expect(refused.sent == ["EHLO client.test", "QUIT"], "nothing of the message was sent")
        refused.reply("221 Bye")
        #expect(refused.result?.outcome == .permanentFailure)
        #expect(refused.result?.error?.contains("8BITMIME") == true)

        var accepted = Dialogue(message: message)
        accepted.greet(ehlo: "250-mx\r\n250 8BITMIME")
        #expect(accepted.sent.last == "MAIL FROM:<a@test> BODY=8BITMIME")
    }

    @Test func unicodeAddressNeedsSMTPUTF8() {
        let message = Dialogue.message(to: ["jörg@bücher.test"])
        var refused = Dialogue(message: message)
        refused.greet(ehlo: "250-mx\r\n250 8BITMIME")
        #expect(refused.sent == ["EHLO client.test", "QUIT"])
        refused.reply("221 Bye")
        #expect(refused.result?.outcome == .permanentFailure)
        #expect(refused.result?.error?.contains("SMTPUTF8") == true)

        var accepted = Dialogue(message: message)
        accepted.greet(ehlo: "250-mx\r\n250 SMTPUTF8")
        #expect(accepted.sent.last == "MAIL FROM:<a@test> SMTPUTF8")
        accepted.reply("250 Ok")
        #expect(accepted.sent.last == "RCPT TO:<jörg@bücher.test>")
    }

    @Test func messageOverTheAnnouncedSizeIsNotSent() {
        var dialogue = Dialogue()
        dialogue.greet(ehlo: "250-mx\r\n250 SIZE 10")
        #expect(dialogue.sent == ["EHLO client.test", "QUIT"])
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .permanentFailure)
        #expect(dialogue.result?.error?.contains("at most 10") == true)
    }

    @Test func startTLSThenGreetsAgain() {
        var dialogue = Dialogue(tls: .startTLS)
        dialogue.greet(ehlo: "250-mx\r\n250 STARTTLS")
        #expect(dialogue.sent.last == "STARTTLS")
        #expect(dialogue.reply("220 2.0.0 Ready to start TLS") == .startTLS(timeout: .seconds(2)))
        dialogue.record(dialogue.machine.tlsEstablished())
        #expect(dialogue.sent.last == "EHLO client.test")
        // What the server announced before TLS is forgotten: without PIPELINING now, one command at a time.
        dialogue.reply("250-mx\r\n250 SIZE 100")
        #expect(dialogue.sent.last == "MAIL FROM:<a@test> SIZE=18")
        #expect(dialogue.sent.filter { $0 == "STARTTLS" }.count == 1)
    }

    @Test func startTLSRequiredButNotOfferedIsTemporary() {
        var dialogue = Dialogue(tls: .startTLS)
        dialogue.greet(ehlo: Dialogue.ehloBasic)
        #expect(dialogue.sent == ["EHLO client.test", "QUIT"])
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.error?.contains("does not offer STARTTLS") == true)
    }

    @Test func startTLSRefused() {
        var dialogue = Dialogue(tls: .startTLS)
        dialogue.greet(ehlo: "250-mx\r\n250 STARTTLS")
        dialogue.reply("454 4.7.0 TLS not available")
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.error == "STARTTLS refused: 454 4.7.0 TLS not available")
    }

    @Test func implicitTLSHandshakeDoesNotRestartTheDialogue() {
        var dialogue = Dialogue(tls: .implicit)
        dialogue.connect()
        #expect(dialogue.record(dialogue.machine.tlsEstablished()) == .none)
        dialogue.reply("220 mx")
        #expect(dialogue.sent == ["EHLO client.test"])
    }

    @Test func authPlain() {
        let credentials = SMTPClientAuthentication(mechanism: .plain, username: "bob", password: "secret")
        var dialogue = Dialogue(authentication: credentials)
        dialogue.greet(ehlo: "250-mx\r\n250 AUTH PLAIN LOGIN")
        #expect(dialogue.sent.last == "AUTH PLAIN AGJvYgBzZWNyZXQ=")
        dialogue.reply("235 2.7.0 Authentication successful")
        #expect(dialogue.sent.last == "MAIL FROM:<a@test>")
    }

    @Test func authLogin() {
        let credentials = SMTPClientAuthentication(mechanism: .login, username: "bob", password: "secret")
        var dialogue = Dialogue(authentication: credentials)
        dialogue.greet(ehlo: "250-mx\r\n250 AUTH LOGIN")
        dialogue.reply("334 VXNlcm5hbWU6")
        dialogue.reply("334 UGFzc3dvcmQ6")
        dialogue.reply("235 2.7.0 Ok")
        #expect(dialogue.sent == ["EHLO client.test", "AUTH LOGIN", "Ym9i", "c2VjcmV0", "MAIL FROM:<a@test>"])
    }

    @Test func authCramMD5MatchesRFC2195() {
        // The example exchange of RFC 2195 §2.
        let credentials = SMTPClientAuthentication(mechanism: .cramMD5, username: "tim", password: "tanstaaftanstaaf")
        var dialogue = Dialogue(authentication: credentials)
        dialogue.greet(ehlo: "250-mx\r\n250 AUTH CRAM-MD5")
        #expect(dialogue.sent.last == "AUTH CRAM-MD5")
        dialogue.reply("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")
        #expect(dialogue.sent.last == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
        dialogue.reply("235 Ok")
        #expect(dialogue.sent.last == "MAIL FROM:<a@test>")
    }

    @Test func authRefusedIsPermanentAndNeverShowsThePassword() {
        let credentials = SMTPClientAuthentication(mechanism: .plain, username: "bob", password: "secret")
        var dialogue = Dialogue(authentication: credentials)
        dialogue.greet(ehlo: "250-mx\r\n250 AUTH PLAIN")
        dialogue.reply("535 5.7.8 authentication credentials invalid")
        #expect(dialogue.sent.last == "QUIT")
        dialogue.reply("221 Bye")
        let result = dialogue.result
        #expect(result?.outcome == .permanentFailure)
        #expect(result?.error == "AUTH PLAIN as bob refused: 535 5.7.8 authentication credentials invalid")
        #expect(!"\(String(describing: result))".contains("secret"))
        #expect(!credentials.description.contains("secret"))
    }

    @Test func authMechanismNotOfferedFailsBeforeSendingCredentials() {
        let credentials = SMTPClientAuthentication(mechanism: .cramMD5, username: "bob", password: "secret")
        var dialogue = Dialogue(authentication: credentials)
        dialogue.greet(ehlo: "250-mx\r\n250 AUTH PLAIN LOGIN")
        #expect(dialogue.sent == ["EHLO client.test", "QUIT"])
        dialogue.reply("221 Bye")
        #expect(dialogue.result?.outcome == .permanentFailure)
        #expect(dialogue.result?.error == "the server does not offer AUTH CRAM-MD5 (it offers LOGIN PLAIN)")

        var none = Dialogue(authentication: credentials)
        none.greet(ehlo: Dialogue.ehloBasic)
        none.reply("221 Bye")
        #expect(none.result?.error?.contains("does not offer AUTH") == true)
    }

    @Test func timeoutNamesTheStepAndIsTemporary() {
        var dialogue = Dialogue(message: Dialogue.message(to: ["b@test", "c@test"]))
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("250 Ok")
        dialogue.record(dialogue.machine.timedOut())
        #expect(!dialogue.sent.contains("QUIT"))
        let result = dialogue.result
        #expect(result?.outcome == .temporaryFailure)
        #expect(result?.error == "timed out after 4 s waiting for the reply to RCPT TO:<c@test>")
        #expect(result?.recipients.map(\.outcome) == [.temporaryFailure, .temporaryFailure])
        #expect(dialogue.record(dialogue.machine.timedOut()) == .none, "a closed dialogue ignores late timers")
    }

    @Test func timeoutWhileSendingTheMessage() {
        var dialogue = Dialogue()
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("250 Ok")
        dialogue.reply("354 Go")
        dialogue.record(dialogue.machine.timedOut())
        #expect(dialogue.result?.error == "timed out after 6 s sending the message data (the server stopped reading)")
        #expect(dialogue.record(dialogue.machine.messageWritten()) == .none)
    }

    @Test func noAnswerToQuitKeepsTheOutcome() {
        var dialogue = Dialogue()
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("250 Ok")
        dialogue.reply("354 Go")
        dialogue.record(dialogue.machine.messageWritten())
        dialogue.reply("250 2.0.0 queued")
        dialogue.record(dialogue.machine.timedOut())
        #expect(dialogue.result?.outcome == .sent)
        #expect(dialogue.result?.lastReply?.text == "250 2.0.0 queued")
    }

    @Test func connectionLostIsTemporaryAndSaysWhere() {
        var dialogue = Dialogue()
        dialogue.greet()
        dialogue.record(dialogue.machine.connectionFailed("the server closed the connection"))
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.error == "the server closed the connection while waiting for the reply to MAIL FROM")
    }

    @Test func earlyReplyDuringDataClosesTheConnection() {
        var dialogue = Dialogue()
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("250 Ok")
        dialogue.reply("354 Go")
        dialogue.reply("552 5.3.4 too big")
        #expect(!dialogue.sent.contains("QUIT"))
        #expect(dialogue.result?.outcome == .permanentFailure)
    }

    /// A 250 before the message is all written accepted nothing (a server out of step): tried again.
    @Test func earlyPositiveReplyDuringDataIsATemporaryFailure() {
        var dialogue = Dialogue()
        dialogue.greet()
        dialogue.reply("250 Ok")
        dialogue.reply("250 Ok")
        dialogue.reply("354 Go")
        dialogue.reply("250 Ok")
        #expect(!dialogue.sent.contains("QUIT"))
        #expect(dialogue.result?.outcome == .temporaryFailure)
        #expect(dialogue.result?.recipientsToRetry == ["b@test"])
    }

    @Test(arguments: ["b@test>\r\nRCPT TO:<evil@test", "b@test\nDATA", "", "<b@test>"])
    func unsafeRecipientIsRefusedBeforeConnecting(recipient: String) {
        var dialogue = Dialogue(message: Dialogue.message(to: [recipient]))
        #expect(dialogue.machine.preflightProblem != nil)
        dialogue.connect()
        #expect(dialogue.sent.isEmpty)
        #expect(dialogue.result?.outcome == .permanentFailure)
    }

    @Test func noRecipientsAndBadHeloNameAreRefused() {
        #expect(Dialogue(message: Dialogue.message(to: [])).machine.preflightProblem == "the message has no recipients")
        let machine = SMTPClientStateMachine(
            configuration: .init(heloName: "bad name", tls: .none), message: Dialogue.message())
        #expect(machine.preflightProblem?.contains("HELO name") == true)
        #expect(
            Dialogue(message: Dialogue.message(from: "")).machine.preflightProblem == nil, "the null sender is fine")
    }
}

import Foundation
import Testing

@testable import MailpenSMTPCore

/// AUTH within a session: when it is allowed, and what a finished dialogue does to the session. The
/// dialogues themselves are tested in ``SMTPAuthenticationMachineTests``.
@Suite("SMTP AUTH exchanges")
struct SMTPAuthenticationTests {
    private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    private func credentials(_ action: SMTPSessionStateMachine.Action) -> SMTPCredentials? {
        if case .checkCredentials(let credentials) = action { return credentials }
        return nil
    }

    @Test func plainWithInitialResponse() throws {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        let action = driver.send("AUTH PLAIN \(base64("\u{0}shop\u{0}secret"))")
        #expect(try #require(credentials(action)) == .password(username: "shop", password: "secret"))
        #expect(driver.machine.inputMode == .suspended)
        let reply = driver.machine.credentialsChecked(accepted: true)
        #expect(reply.reply?.wireFormat == "235 2.7.0 Authentication successful\r\n")
        #expect(driver.machine.session.authenticatedUser == "shop")
        #expect(driver.send("AUTH PLAIN \(base64("\u{0}x\u{0}y"))").code == 503)
    }

    @Test func plainWithoutInitialResponse() throws {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        let challenge = driver.send("AUTH PLAIN")
        #expect(challenge.reply?.wireFormat == "334 \r\n")
        #expect(driver.machine.inputMode == .authenticationResponse)
        let action = driver.send(base64("admin\u{0}shop\u{0}pw"))
        #expect(try #require(credentials(action)) == .password(username: "shop", password: "pw"))
    }

    @Test func login() throws {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        #expect(driver.send("AUTH LOGIN").reply?.lines == ["VXNlcm5hbWU6"])
        #expect(driver.send(base64("shop")).reply?.lines == ["UGFzc3dvcmQ6"])
        let action = driver.send(base64("pw"))
        #expect(try #require(credentials(action)) == .password(username: "shop", password: "pw"))
    }

    @Test func loginWithInitialUsername() throws {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        #expect(driver.send("AUTH LOGIN \(base64("shop"))").reply?.lines == ["UGFzc3dvcmQ6"])
        #expect(try #require(credentials(driver.send(base64("pw")))).username == "shop")
    }

    @Test func cramMD5() throws {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        let challengeReply = try #require(driver.send("AUTH CRAM-MD5").reply)
        #expect(challengeReply.code == 334)
        let challenge = String(decoding: try #require(Data(base64Encoded: challengeReply.lines[0])), as: UTF8.self)
        #expect(challenge == "<nonce.1@mx.test>")
        let action = driver.send(base64("tim 0123456789abcdef0123456789abcdef"))
        let received = try #require(credentials(action))
        #expect(
            received
                == .challengeResponse(username: "tim", challenge: challenge, digest: "0123456789abcdef0123456789abcdef")
        )
    }

    @Test func failedAuthentication() {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        _ = driver.send("AUTH PLAIN \(base64("\u{0}shop\u{0}bad"))")
        let action = driver.machine.credentialsChecked(accepted: false)
        #expect(action.code == 535)
        #expect(action.reply?.enhancedCode == "5.7.8")
        #expect(driver.machine.session.authenticatedUser == nil)
        #expect(driver.send("MAIL FROM:<a@test>").code == 250)
    }

    @Test func credentialsThatCannotBeCheckedGetATemporaryFailure() {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        _ = driver.send("AUTH PLAIN \(base64("\u{0}shop\u{0}right"))")
        let action = driver.machine.credentialsCouldNotBeChecked()
        #expect(action.code == 454)
        #expect(action.reply?.enhancedCode == "4.7.0")
        #expect(driver.machine.session.authenticatedUser == nil)
        // The client may try again at once.
        _ = driver.send("AUTH PLAIN \(base64("\u{0}shop\u{0}right"))")
        #expect(driver.machine.credentialsChecked(accepted: true).code == 235)
    }

    static let brokenResponses: [(String, Int)] = [
        ("AUTH PLAIN !!!notbase64", 501),
        ("AUTH PLAIN \(Data("no-separators".utf8).base64EncodedString())", 501),
        ("AUTH PLAIN \(Data("\u{0}\u{0}pw".utf8).base64EncodedString())", 501),
        ("AUTH CRAM-MD5 abc", 501),
    ]

    @Test("broken AUTH input gets 501", arguments: brokenResponses)
    func brokenInitialResponse(command: String, code: Int) {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        #expect(driver.send(command).code == code)
        #expect(driver.machine.inputMode == .commandLine)
    }

    @Test func brokenContinuationAndCancel() {
        var driver = SessionDriver()
        driver.send("EHLO c.test")
        driver.send("AUTH LOGIN")
        let broken = driver.send("%%%")
        #expect(broken.code == 501)
        #expect(broken.reply?.enhancedCode == "5.5.2")
        driver.send("AUTH LOGIN")
        let cancelled = driver.send("*")
        #expect(cancelled.code == 501)
        #expect(cancelled.reply?.enhancedCode == "5.7.0")
        #expect(driver.machine.inputMode == .commandLine)
    }

    @Test func authNeedsEHLO() {
        var driver = SessionDriver()
        driver.send("HELO c.test")
        #expect(driver.send("AUTH PLAIN").code == 503)
    }
}

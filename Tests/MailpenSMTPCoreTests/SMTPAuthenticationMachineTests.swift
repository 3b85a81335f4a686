import Foundation
import Testing

@testable import MailpenSMTPCore

@Suite("AUTH dialogues")
struct SMTPAuthenticationMachineTests {
    /// What the machine answers, with replies as they go on the wire.
    enum Step: Sendable, Equatable, CustomStringConvertible {
        case challenge(String)
        case check(SMTPCredentials)
        case fail(String)

        init(_ action: SMTPAuthenticationMachine.Action) {
            switch action {
            case .challenge(let reply): self = .challenge(reply.wireFormat)
            case .check(let credentials): self = .check(credentials)
            case .fail(let reply): self = .fail(reply.wireFormat)
            }
        }

        var description: String {
            switch self {
            case .challenge(let wire): return "challenge \(wire.debugDescription)"
            case .check(let credentials): return "check \(credentials)"
            case .fail(let wire): return "fail \(wire.debugDescription)"
            }
        }
    }

    /// One dialogue: `AUTH mechanism [initial]`, then the client's line after each challenge; `expected`
    /// holds the answer to the command and to each line.
    struct Dialogue: Sendable, CustomTestStringConvertible {
        var name: String
        var mechanism: String
        var initial: String?
        var responses: [String] = []
        var expected: [Step]

        var testDescription: String { name }
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static let cannotDecode = Step.fail("501 5.5.2 Error: cannot decode response\r\n")
    static let cancelled = Step.fail("501 5.7.0 Authentication cancelled\r\n")
    static let outOfSequence = Step.fail("503 5.5.1 Error: bad sequence of commands\r\n")
    static let askUsername = Step.challenge("334 VXNlcm5hbWU6\r\n")
    static let askPassword = Step.challenge("334 UGFzc3dvcmQ6\r\n")
    static let cramChallenge = "<nonce.1@mx.test>"
    static let digest = "0123456789abcdef0123456789abcdef"

    static let dialogues: [Dialogue] = [
        // PLAIN (RFC 4616): authzid NUL authcid NUL password.
        Dialogue(
            name: "PLAIN with an initial response", mechanism: "PLAIN", initial: base64("\u{0}shop\u{0}secret"),
            expected: [.check(.password(username: "shop", password: "secret"))]),
        Dialogue(
            name: "PLAIN after an empty challenge", mechanism: "PLAIN",
            responses: [base64("admin\u{0}shop\u{0}pw")],
            expected: [.challenge("334 \r\n"), .check(.password(username: "shop", password: "pw"))]),
        Dialogue(
            name: "PLAIN with an empty password", mechanism: "PLAIN", initial: base64("\u{0}shop\u{0}"),
            expected: [.check(.password(username: "shop", password: ""))]),
        Dialogue(
            name: "PLAIN without a username", mechanism: "PLAIN", initial: base64("\u{0}\u{0}pw"),
            expected: [cannotDecode]),
        Dialogue(
            name: "PLAIN with two fields", mechanism: "PLAIN", initial: base64("shop\u{0}pw"),
            expected: [cannotDecode]),
        Dialogue(
            name: "PLAIN that is not base64", mechanism: "PLAIN", initial: "!!!notbase64",
            expected: [cannotDecode]),
        Dialogue(
            name: "PLAIN cancelled after the challenge", mechanism: "PLAIN", responses: ["*"],
            expected: [.challenge("334 \r\n"), cancelled]),
        Dialogue(name: "PLAIN cancelled in the command", mechanism: "PLAIN", initial: "*", expected: [cancelled]),
        // LOGIN: the username and the password, each after its own challenge.
        Dialogue(
            name: "LOGIN", mechanism: "LOGIN", responses: [base64("shop"), base64("pw")],
            expected: [askUsername, askPassword, .check(.password(username: "shop", password: "pw"))]),
        Dialogue(
            name: "LOGIN with the username in the command", mechanism: "LOGIN", initial: base64("shop"),
            responses: [base64("pw")],
            expected: [askPassword, .check(.password(username: "shop", password: "pw"))]),
        Dialogue(
            name: "LOGIN with an empty password", mechanism: "LOGIN", responses: [base64("shop"), "="],
            expected: [askUsername, askPassword, .check(.password(username: "shop", password: ""))]),
        Dialogue(
            name: "LOGIN with blanks around a response", mechanism: "LOGIN",
            responses: [" \(base64("shop"))\t", base64("pw")],
            expected: [askUsername, askPassword, .check(.password(username: "shop", password: "pw"))]),
        Dialogue(
            name: "LOGIN with an empty username", mechanism: "LOGIN", responses: ["="],
            expected: [askUsername, cannotDecode]),
        Dialogue(
            name: "LOGIN with a username that is not UTF-8", mechanism: "LOGIN", responses: ["/w=="],
            expected: [askUsername, cannotDecode]),
        Dialogue(
            name: "LOGIN cancelled at the password", mechanism: "LOGIN", responses: [base64("shop"), "*"],
            expected: [askUsername, askPassword, cancelled]),
        // CRAM-MD5 (RFC 2195): "username digest" against the challenge.
        Dialogue(
            name: "CRAM-MD5", mechanism: "CRAM-MD5", responses: [base64("tim \(digest)")],
            expected: [
                .challenge("334 \(base64(cramChallenge))\r\n"),
                .check(.challengeResponse(username: "tim", challenge: cramChallenge, digest: digest)),
            ]),
        Dialogue(
            name: "CRAM-MD5 with a space in the username", mechanism: "CRAM-MD5",
            responses: [base64("tim smith \(digest)")],
            expected: [
                .challenge("334 \(base64(cramChallenge))\r\n"),
                .check(.challengeResponse(username: "tim smith", challenge: cramChallenge, digest: digest)),
            ]),
        Dialogue(
            name: "CRAM-MD5 without a digest", mechanism: "CRAM-MD5", responses: [base64("tim")],
            expected: [.challenge("334 \(base64(cramChallenge))\r\n"), cannotDecode]),
        Dialogue(
            name: "CRAM-MD5 without a username", mechanism: "CRAM-MD5", responses: [base64(" \(digest)")],
            expected: [.challenge("334 \(base64(cramChallenge))\r\n"), cannotDecode]),
        Dialogue(
            name: "CRAM-MD5 with an initial response", mechanism: "CRAM-MD5", initial: "abc",
            expected: [.fail("501 5.5.4 Syntax: CRAM-MD5 takes no initial response\r\n")]),
        Dialogue(
            name: "an unsupported mechanism", mechanism: "XOAUTH2", initial: "abc",
            expected: [.fail("504 5.5.4 Error: unsupported authentication mechanism XOAUTH2\r\n")]),
    ]

    @Test("dialogue", arguments: dialogues)
    func dialogue(_ dialogue: Dialogue) {
        var machine = SMTPAuthenticationMachine(hostname: "mx.test", challengeNonce: "nonce")
        var steps = [Step(machine.start(mechanism: dialogue.mechanism, initialResponse: dialogue.initial))]
        for response in dialogue.responses {
            steps.append(Step(machine.receive(response: Array(response.utf8))))
        }
        #expect(steps == dialogue.expected)
    }

    @Test func responseThatIsNotUTF8() {
        var machine = SMTPAuthenticationMachine(hostname: "mx.test", challengeNonce: "nonce")
        #expect(Step(machine.start(mechanism: "PLAIN", initialResponse: nil)) == .challenge("334 \r\n"))
        #expect(Step(machine.receive(response: [0x41, 0xFF, 0x3D])) == Self.cannotDecode)
    }

    @Test func everyCRAMMD5ChallengeOfASessionIsNew() {
        var machine = SMTPAuthenticationMachine(hostname: "mx.test", challengeNonce: "nonce")
        let first = machine.start(mechanism: "CRAM-MD5", initialResponse: nil)
        _ = machine.receive(response: Array("*".utf8))
        let second = machine.start(mechanism: "CRAM-MD5", initialResponse: nil)
        #expect(Step(first) == .challenge("334 \(Self.base64("<nonce.1@mx.test>"))\r\n"))
        #expect(Step(second) == .challenge("334 \(Self.base64("<nonce.2@mx.test>"))\r\n"))
    }

    @Test func aLineOutsideADialogueIsRefused() {
        var machine = SMTPAuthenticationMachine(hostname: "mx.test", challengeNonce: "nonce")
        #expect(Step(machine.receive(response: Array("*".utf8))) == Self.outOfSequence)
        // An abandoned dialogue (its response was too long) takes no more lines.
        _ = machine.start(mechanism: "LOGIN", initialResponse: nil)
        machine.abandon()
        #expect(Step(machine.receive(response: Array(Self.base64("shop").utf8))) == Self.outOfSequence)
    }

    @Test func aNewCommandReplacesADialogue() {
        var machine = SMTPAuthenticationMachine(hostname: "mx.test", challengeNonce: "nonce")
        #expect(Step(machine.start(mechanism: "LOGIN", initialResponse: nil)) == Self.askUsername)
        let plain = machine.start(mechanism: "PLAIN", initialResponse: Self.base64("\u{0}a\u{0}b"))
        #expect(Step(plain) == .check(.password(username: "a", password: "b")))
        #expect(Step(machine.receive(response: Array(Self.base64("shop").utf8))) == Self.outOfSequence)
    }
}

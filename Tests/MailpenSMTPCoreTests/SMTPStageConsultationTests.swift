import Testing

@testable import MailpenSMTPCore

@Suite("SMTP stage consultation")
struct SMTPStageConsultationTests {
    private static let configuration = SMTPSessionStateMachine.Configuration(
        hostname: "mx.test", consultsAtStages: true)
    private static let refusal = SMTPReply(451, "4.3.0", "Chaos")

    /// A session that answers every consultation with `verdict` for `stage` and proceeds elsewhere.
    private struct Driver {
        var machine = SMTPSessionStateMachine(
            configuration: SMTPStageConsultationTests.configuration, challengeNonce: "n")
        var stage: SMTPStage
        var verdict: SMTPStageVerdict
        var consulted: [SMTPStageCheck] = []

        init(at stage: SMTPStage, _ verdict: SMTPStageVerdict) {
            self.stage = stage
            self.verdict = verdict
        }

        mutating func resolve(_ action: SMTPSessionStateMachine.Action) -> SMTPSessionStateMachine.Action {
            guard case .consult(let check) = action else { return action }
            consulted.append(check)
            return resolve(machine.stageDecided(check.stage == stage ? verdict : .proceed))
        }

        mutating func open() -> SMTPSessionStateMachine.Action { resolve(machine.connectionOpened()) }
        mutating func send(_ line: String) -> SMTPSessionStateMachine.Action {
            resolve(machine.receive(line: Array(line.utf8)))
        }
        mutating func feed(_ text: String) -> (consumed: Int, action: SMTPSessionStateMachine.Action) {
            let bytes = Array(text.utf8)
            let (consumed, action) = bytes.withUnsafeBytes { machine.receive(messageBytes: $0) }
            return (consumed, resolve(action))
        }
        mutating func transaction(upTo last: String) -> SMTPSessionStateMachine.Action {
            var action = open()
            for line in ["EHLO c.test", "MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>", "DATA"] {
                action = send(line)
                if line == last { break }
            }
            return action
        }
    }

    @Test func withoutTheSettingTheMachineNeverConsults() {
        var driver = SessionDriver()
        #expect(driver.run(["EHLO c.test", "MAIL FROM:<a@test>", "RCPT TO:<b@test>"]).code == 250)
    }

    @Test func proceedingEverywhereKeepsTheNormalReplies() {
        var driver = Driver(at: .connect, .proceed)
        let step1 = driver.open()
        #expect(step1.code == 220)
        let step2 = driver.send("EHLO c.test")
        #expect(step2.code == 250)
        let step3 = driver.send("MAIL FROM:<a@x.test>")
        #expect(step3.code == 250)
        let step4 = driver.send("RCPT TO:<b@y.test>")
        #expect(step4.code == 250)
        let step5 = driver.send("DATA")
        #expect(step5.code == 354)
        let (_, action) = driver.feed("Subject: hi\r\n\r\nbody\r\n.\r\n")
        #expect(action.transaction?.envelope.recipients.map(\.address) == ["b@y.test"])
        #expect(driver.consulted.map(\.stage) == [.connect, .ehlo, .mail, .rcpt, .data, .message])
        #expect(driver.consulted[3].recipients == ["b@y.test"])
        #expect(driver.consulted[2].mailFrom == "a@x.test")
    }

    @Test func refusingAtConnectClosesWithTheReply() {
        var driver = Driver(at: .connect, .refuse(SMTPReply(554, "5.3.2", "Not now")))
        let action = driver.open()
        #expect(action.codes == [554] && action.closes)
        #expect(driver.machine.inputMode == .closed)
    }

    @Test(arguments: [SMTPStage.ehlo, .mail, .rcpt, .data])
    func a421ClosesTheSessionAtAnyStage(stage: SMTPStage) {
        // 421 means the server is closing the channel (RFC 5321 §3.8): the session does not go on after it.
        var driver = Driver(at: stage, .refuse(SMTPReply(421, "4.3.2", "Closing")))
        let action = driver.transaction(
            upTo: [
                "ehlo": "EHLO c.test", "mail": "MAIL FROM:<a@x.test>",
                "rcpt": "RCPT TO:<b@y.test>", "data": "DATA",
            ][stage.rawValue] ?? "")
        #expect(action.codes == [421] && action.closes)
        #expect(driver.machine.inputMode == .closed)
    }

    @Test(arguments: [SMTPStage.ehlo, .mail, .rcpt, .data])
    func refusingACommandLeavesTheSessionWhereItWas(_ stage: SMTPStage) {
        var driver = Driver(at: stage, .refuse(Self.refusal))
        let last =
            [
                "ehlo": "EHLO c.test", "mail": "MAIL FROM:<a@x.test>", "rcpt": "RCPT TO:<b@y.test>",
                "data": "DATA",
            ][stage.rawValue] ?? ""
        let step6 = driver.transaction(upTo: last)
        #expect(step6.reply == Self.refusal)
        // The refused step did not happen: the session accepts what it accepted before it.
        driver.verdict = .proceed
        switch stage {
        case .ehlo: #expect(driver.send("MAIL FROM:<a@x.test>").code == 503)
        case .mail: #expect(driver.send("RCPT TO:<b@y.test>").code == 503)
        case .rcpt: #expect(driver.send("DATA").code == 503)
        default: #expect(driver.send("DATA").code == 354)
        }
    }

    @Test func refusingTheMessageDeliversNothingAndEndsTheTransaction() {
        var driver = Driver(at: .message, .refuse(SMTPReply(554, "5.7.1", "Refused")))
        let step7 = driver.transaction(upTo: "DATA")
        #expect(step7.code == 354)
        let (_, action) = driver.feed("Subject: x\r\n\r\nbody\r\n.\r\n")
        #expect(action.code == 554)
        let step8 = driver.send("RCPT TO:<b@y.test>")
        #expect(step8.code == 503)
    }

    @Test func disconnectAtACommandClosesWithoutAReply() {
        var driver = Driver(at: .mail, .disconnect)
        let action = driver.transaction(upTo: "MAIL FROM:<a@x.test>")
        #expect(action.closes && action.codes.isEmpty)
        #expect(driver.machine.inputMode == .closed)
    }

    @Test func disconnectAtDataDropsHalfWayThroughTheDeclaredSize() {
        var driver = Driver(at: .data, .disconnect)
        _ = driver.open()
        _ = driver.send("EHLO c.test")
        _ = driver.send("MAIL FROM:<a@x.test> SIZE=100")
        _ = driver.send("RCPT TO:<b@y.test>")
        let step9 = driver.send("DATA")
        #expect(step9.code == 354)
        let first = driver.feed(String(repeating: "a", count: 30))
        #expect(first.consumed == 30)
        #expect(driver.machine.inputMode == .messageData)
        let second = driver.feed(String(repeating: "b", count: 60) + "\r\n.\r\n")
        #expect(second.consumed == 20)
        #expect(second.action.closes && second.action.codes.isEmpty)
    }

    @Test func disconnectAtDataWithoutASizeDropsWithinTheFirstRead() {
        var driver = Driver(at: .data, .disconnect)
        let step10 = driver.transaction(upTo: "DATA")
        #expect(step10.code == 354)
        let (consumed, action) = driver.feed("Subject: x\r\n\r\n" + String(repeating: "z", count: 100) + "\r\n.\r\n")
        #expect(consumed > 0 && consumed < 120)
        #expect(action.closes && action.transaction == nil)
    }

    @Test func refusingAChunkDiscardsItsOctetsAndFailsTheTransaction() {
        var driver = Driver(at: .bdat, .refuse(Self.refusal))
        _ = driver.transaction(upTo: "RCPT TO:<b@y.test>")
        let step11 = driver.send("BDAT 5 LAST")
        #expect(step11.code == -1)
        let (consumed, action) = driver.feed("hello")
        #expect(consumed == 5 && action.reply == Self.refusal)
        let step12 = driver.send("DATA")
        #expect(step12.code == 503)
    }

    @Test func disconnectAtAChunkDropsHalfWayThroughIt() {
        var driver = Driver(at: .bdat, .disconnect)
        _ = driver.transaction(upTo: "RCPT TO:<b@y.test>")
        let step13 = driver.send("BDAT 10 LAST")
        #expect(step13.code == -1)
        let (consumed, action) = driver.feed("0123456789")
        #expect(consumed == 5 && action.closes && action.transaction == nil)
    }

    @Test func authIsConsultedWithTheClaimedUsernameAndARefusalSkipsTheCheck() {
        var driver = Driver(at: .auth, .refuse(SMTPReply(454, "4.7.0", "Try later")))
        _ = driver.open()
        _ = driver.send("EHLO c.test")
        // AGJvYgBzZWNyZXQ= is "\0bob\0secret".
        let step14 = driver.send("AUTH PLAIN AGJvYgBzZWNyZXQ=")
        #expect(step14.code == 454)
        #expect(driver.consulted.last?.username == "bob")
        driver.verdict = .proceed
        let step15 = driver.send("AUTH PLAIN AGJvYgBzZWNyZXQ=")
        #expect(step15.code == 1)
    }

    @Test func decisionsOutsideAConsultationAreIgnored() {
        var driver = Driver(at: .connect, .proceed)
        _ = driver.open()
        let step16 = driver.machine.stageDecided(.disconnect)
        #expect(step16.codes == [-1])
        let step17 = driver.send("EHLO c.test")
        #expect(step17.code == 250)
    }
}

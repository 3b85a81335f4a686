import MailpenSASL
import Testing

@testable import MailpenPOP3Core

@Suite("POP3 session state machine")
struct POP3SessionStateMachineTests {
    /// Ways to bring a fresh session into each state.
    enum Setup: String, CaseIterable, Sendable {
        case authorization, userGiven, transaction, afterDelete

        func apply(to driver: inout POP3Driver) {
            switch self {
            case .authorization: break
            case .userGiven: driver.send("USER bob")
            case .transaction: driver.run(["USER bob", "PASS secret"])
            case .afterDelete: driver.run(["USER bob", "PASS secret", "DELE 1"])
            }
        }
    }

    /// The expected status of the first response for every command in every state.
    static let table: [(command: String, expected: [Setup: String])] = [
        ("CAPA", [.authorization: "+OK", .userGiven: "+OK", .transaction: "+OK", .afterDelete: "+OK"]),
        ("USER alice", [.authorization: "+OK", .userGiven: "+OK", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("PASS secret", [.authorization: "-ERR", .userGiven: "+OK", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("AUTH", [.authorization: "+OK", .userGiven: "+OK", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("AUTH PLAIN", [.authorization: "+", .userGiven: "+", .transaction: "-ERR", .afterDelete: "-ERR"]),
        (
            "AUTH PLAIN AGJvYgBzZWNyZXQ=",
            [.authorization: "+OK", .userGiven: "+OK", .transaction: "-ERR", .afterDelete: "-ERR"]
        ),
        ("AUTH CRAM-MD5", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("APOP bob 0123", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("STLS", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("STAT", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK 3", .afterDelete: "+OK 2"]),
        ("LIST", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK 3", .afterDelete: "+OK 2"]),
        ("LIST 1", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK 1", .afterDelete: "-ERR"]),
        ("LIST 4", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("UIDL", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK", .afterDelete: "+OK"]),
        ("UIDL 2", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK 2 01B", .afterDelete: "+OK 2 01B"]),
        ("RETR 1", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK", .afterDelete: "-ERR"]),
        ("RETR 0", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("TOP 2 0", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK", .afterDelete: "+OK"]),
        ("DELE 1", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK", .afterDelete: "-ERR"]),
        ("RSET", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK", .afterDelete: "+OK"]),
        ("NOOP", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "+OK", .afterDelete: "+OK"]),
        ("QUIT", [.authorization: "+OK", .userGiven: "+OK", .transaction: "+OK", .afterDelete: "+OK"]),
        ("FROB", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "-ERR", .afterDelete: "-ERR"]),
        ("", [.authorization: "-ERR", .userGiven: "-ERR", .transaction: "-ERR", .afterDelete: "-ERR"]),
    ]

    static let cases: [(String, Setup, String)] = table.flatMap { row in
        Setup.allCases.map { setup in (row.command, setup, row.expected[setup] ?? "?") }
    }

    @Test("every command in every state", arguments: cases)
    func commandInState(command: String, setup: Setup, expected: String) {
        var driver = POP3Driver()
        setup.apply(to: &driver)
        let status = driver.send(command).status
        #expect(status == expected || status.hasPrefix(expected + " "), "\(command) in \(setup): \(status)")
    }

    @Test func greetingNamesTheHost() {
        var machine = POP3SessionStateMachine(
            configuration: .init(hostname: "pop.test"), connection: .init(isLoopback: true))
        #expect(machine.inputMode == .suspended)
        #expect(machine.connectionOpened() == .send(.ok("pop.test Mailpen POP3 ready")))
        #expect(machine.inputMode == .commandLine)
        #expect(machine.connectionOpened() == .none)
    }

    @Test func retrieveSendsTheMessageDotStuffedWithItsSize() {
        var driver = POP3Driver()
        driver.run(["USER bob", "PASS secret"])
        let response = driver.send("RETR 1")
        #expect(response.status == "+OK 58 octets")
        #expect(response.body == "Subject: one\r\nFrom: a@test\r\n\r\nfirst line\r\n..dotted\r\nthird\r\n.\r\n")
    }

    @Test func retrieveTurnsBareLineFeedsIntoCRLF() {
        var driver = POP3Driver()
        driver.run(["USER bob", "PASS secret"])
        #expect(driver.send("RETR 2").body == "Subject: two\r\n\r\nbare\r\nlf\r\n.\r\n")
    }

    @Test(arguments: [
        (1, 0, "Subject: one\r\nFrom: a@test\r\n\r\n.\r\n"),
        (1, 2, "Subject: one\r\nFrom: a@test\r\n\r\nfirst line\r\n..dotted\r\n.\r\n"),
        (1, 99, "Subject: one\r\nFrom: a@test\r\n\r\nfirst line\r\n..dotted\r\nthird\r\n.\r\n"),
        (3, 5, "Subject: three\r\n\r\n.\r\n"),
    ])
    func topSendsTheHeaderAndSomeBodyLines(number: Int, lines: Int, expected: String) {
        var driver = POP3Driver()
        driver.run(["USER bob", "PASS secret"])
        let response = driver.send("TOP \(number) \(lines)")
        #expect(response.status == "+OK top of message follows")
        #expect(response.body == expected)
    }

    @Test func listingsSkipDeletedMessages() {
        var driver = POP3Driver()
        driver.run(["USER bob", "PASS secret", "DELE 2"])
        #expect(driver.send("LIST").body == "1 58\r\n3 18\r\n.\r\n")
        #expect(driver.send("UIDL").body == "1 01A\r\n3 01C\r\n.\r\n")
        #expect(driver.send("STAT").status == "+OK 2 76")
        #expect(driver.send("RSET").status == "+OK maildrop has 3 messages (98 octets)")
        #expect(driver.send("STAT").status == "+OK 3 98")
    }

    @Test(arguments: [POP3DeletionMode.delete, .markRead])
    func quitHandsTheDeletionsToTheCallerInTheConfiguredMode(mode: POP3DeletionMode) {
        var driver = POP3Driver(.init(hostname: "pop.test", deletionMode: mode))
        driver.run(["USER bob", "PASS secret", "DELE 3", "DELE 1"])
        let response = driver.send("QUIT")
        #expect(driver.updates == [POP3Update(messageIDs: ["01A", "01C"], mode: mode)])
        #expect(response.status.hasPrefix("+OK"))
        #expect(driver.closed)
        #expect(driver.machine.inputMode == .closed)
    }

    @Test func aFailedUpdateIsReported() {
        var driver = POP3Driver()
        driver.updateSucceeds = false
        driver.run(["USER bob", "PASS secret", "DELE 1"])
        #expect(driver.send("QUIT").status == "-ERR [SYS/TEMP] some deleted messages not removed")
        #expect(driver.closed)
    }

    @Test func quitBeforeLoginAppliesNothing() {
        var driver = POP3Driver()
        #expect(driver.send("QUIT").status.hasPrefix("+OK"))
        #expect(driver.updates.isEmpty)
        #expect(driver.closed)
    }

    @Test func badCredentialsGetTheAuthCodeAndAllowAnotherTry() {
        var driver = POP3Driver()
        driver.acceptsCredentials = false
        #expect(driver.run(["USER bob", "PASS wrong"]).status == "-ERR [AUTH] authentication failed")
        #expect(driver.machine.inputMode == .commandLine)
        #expect(driver.send("PASS again").status == "-ERR send USER first")
        driver.acceptsCredentials = true
        #expect(driver.run(["USER bob", "PASS right"]).status == "+OK maildrop has 3 messages (98 octets)")
        #expect(driver.checked.map(\.password) == ["wrong", "right"])
        #expect(driver.machine.authenticatedUser == "bob")
    }

    @Test func credentialsThatCannotBeCheckedGetATemporaryCodeAndAllowAnotherTry() {
        var driver = POP3Driver()
        driver.acceptsCredentials = nil
        #expect(
            driver.run(["USER bob", "PASS right"]).status
                == "-ERR [SYS/TEMP] cannot check credentials now, try again later")
        #expect(driver.machine.authenticatedUser == nil)
        driver.acceptsCredentials = true
        #expect(driver.run(["USER bob", "PASS right"]).status.hasPrefix("+OK"))
        #expect(driver.machine.authenticatedUser == "bob")
    }

    @Test func aLockedMaildropGetsTheInUseCode() {
        var driver = POP3Driver()
        driver.maildropResult = .locked
        #expect(driver.run(["USER bob", "PASS secret"]).status == "-ERR [IN-USE] maildrop already locked")
        #expect(driver.send("STAT").status.hasPrefix("-ERR"))
        #expect(driver.machine.authenticatedUser == nil)
    }

    @Test func aFailedMaildropGetsTheTemporaryCode() {
        var driver = POP3Driver()
        driver.maildropResult = .failed
        #expect(driver.run(["USER bob", "PASS secret"]).status == "-ERR [SYS/TEMP] maildrop unavailable")
    }

    @Test func passwordsMayHoldSpaces() {
        var driver = POP3Driver()
        driver.run(["USER bob", "PASS correct horse  battery"])
        #expect(driver.checked == [POP3Credentials(username: "bob", password: "correct horse  battery")])
    }

    @Test func authPlainWithAnInitialResponse() {
        var driver = POP3Driver()
        // "admin\0bob\0secret"
        #expect(driver.send("AUTH PLAIN YWRtaW4AYm9iAHNlY3JldA==").status.hasPrefix("+OK maildrop"))
        #expect(
            driver.checked == [POP3Credentials(username: "bob", password: "secret", authorizationIdentity: "admin")])
    }

    @Test func authPlainWithAContinuation() {
        var driver = POP3Driver()
        #expect(driver.send("AUTH PLAIN").first == POP3Response(.continuation, ""))
        #expect(driver.machine.inputMode == .authenticationResponse)
        #expect(driver.send("AGJvYgBzZWNyZXQ=").status.hasPrefix("+OK maildrop"))
        #expect(driver.checked == [POP3Credentials(username: "bob", password: "secret")])
    }

    @Test(arguments: ["*", "not base64!", "AGJvYg==", "=", "AAB4"])
    func authPlainRejectsCancelledOrMalformedResponses(response: String) {
        var driver = POP3Driver()
        driver.send("AUTH PLAIN")
        #expect(driver.send(response).status.hasPrefix("-ERR"))
        #expect(driver.checked.isEmpty)
        #expect(driver.machine.inputMode == .commandLine)
    }

    @Test func plaintextLoginIsRefusedOnAnInsecureConnection() {
        var driver = POP3Driver(.init(hostname: "pop.test", offersSTLS: true), connection: .init(isLoopback: false))
        let capabilities = driver.send("CAPA").body
        #expect(capabilities.contains("STLS\r\n"))
        #expect(!capabilities.contains("USER"))
        #expect(!capabilities.contains("SASL"))
        #expect(driver.send("USER bob").status.hasPrefix("-ERR [AUTH] plaintext authentication disallowed"))
        #expect(driver.send("AUTH PLAIN AGJvYgBzZWNyZXQ=").status.hasPrefix("-ERR [AUTH]"))
        #expect(driver.checked.isEmpty)
        // After STLS the same commands work.
        #expect(driver.send("STLS").status == "+OK begin TLS negotiation")
        #expect(driver.startedTLS)
        #expect(driver.machine.connection.isTLS)
        let after = driver.send("CAPA").body
        #expect(!after.contains("STLS"))
        #expect(after.contains("USER\r\n") && after.contains("SASL PLAIN\r\n"))
        #expect(driver.run(["USER bob", "PASS secret"]).status.hasPrefix("+OK maildrop"))
    }

    @Test func plaintextLoginIsAllowedWhenConfigured() {
        var driver = POP3Driver(
            .init(hostname: "pop.test", allowsPlaintextAuthentication: true), connection: .init(isLoopback: false))
        #expect(driver.run(["USER bob", "PASS secret"]).status.hasPrefix("+OK maildrop"))
    }

    @Test func stlsIsRefusedOnceTLSIsOn() {
        var driver = POP3Driver(
            .init(hostname: "pop.test", offersSTLS: true), connection: .init(isLoopback: false, isTLS: true))
        #expect(driver.send("STLS").status == "-ERR TLS already active")
        #expect(!driver.startedTLS)
    }

    @Test func stlsForgetsAPendingUser() {
        var driver = POP3Driver(.init(hostname: "pop.test", offersSTLS: true))
        driver.run(["USER bob", "STLS"])
        #expect(driver.send("PASS secret").status == "-ERR send USER first")
    }

    @Test func aMessageThatVanishedIsReported() {
        var driver = POP3Driver()
        driver.run(["USER bob", "PASS secret"])
        driver.maildrop["01A"] = nil
        #expect(driver.send("RETR 1").status == "-ERR [SYS/PERM] message 1 is no longer available")
        #expect(driver.send("NOOP").status == "+OK")
    }

    @Test func tooManyErrorsCloseTheSession() {
        var driver = POP3Driver(.init(hostname: "pop.test", maximumErrors: 3))
        driver.run(["FROB", "FROB"])
        #expect(!driver.closed)
        #expect(driver.send("FROB").status == "-ERR too many errors")
        #expect(driver.closed)
        #expect(driver.send("QUIT").isEmpty)
    }

    @Test func idleTimeoutClosesWithoutUpdating() {
        var driver = POP3Driver()
        driver.run(["USER bob", "PASS secret", "DELE 1"])
        #expect(driver.perform(driver.machine.idleTimeoutExpired()).isEmpty)
        #expect(driver.closed)
        #expect(driver.updates.isEmpty)
        #expect(driver.machine.idleTimeoutExpired() == .none)
        #expect(driver.machine.shutdownRequested() == .none)
    }

    @Test func shutdownClosesWithATemporaryError() {
        var driver = POP3Driver()
        #expect(driver.perform(driver.machine.shutdownRequested()).status == "-ERR [SYS/TEMP] server shutting down")
        #expect(driver.closed)
    }

    @Test func lateAnswersAreIgnored() {
        var machine = POP3SessionStateMachine(configuration: .init(), connection: .init(isLoopback: true))
        _ = machine.connectionOpened()
        #expect(machine.credentialsChecked(accepted: true) == .none)
        #expect(machine.maildropOpened(.opened([])) == .none)
        #expect(machine.messageLoaded([1]) == .none)
        #expect(machine.updateCompleted(succeeded: true) == .none)
    }

    @Test func absurdSizesSaturateInsteadOfTrapping() {
        var driver = POP3Driver()
        driver.maildropResult = .opened([
            POP3MaildropMessage(id: "a", size: Int.max), POP3MaildropMessage(id: "b", size: Int.max),
        ])
        driver.run(["USER bob", "PASS secret"])
        #expect(driver.send("STAT").status == "+OK 2 \(Int.max)")
    }
}

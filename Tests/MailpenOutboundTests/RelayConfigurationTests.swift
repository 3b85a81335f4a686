import Foundation
import Testing

@testable import MailpenOutbound
@testable import MailpenRelay

/// Relay names, URLs, the relay file, recipient policy and the retry schedule: the parts without I/O.
@Suite("Relay configuration and policy")
struct RelayConfigurationTests {
    @Test func flagsAndEnvironmentMakeNamedRelays() throws {
        let configuration = try RelayConfiguration.load(
            flags: ["team=smtp://u:p%40ss@smtp.example.com:587?allow=*@mycompany.example"],
            environment: "staging=smtps://staging.example ; other=smtp://mx.example?tls=none&backoff=1m",
            file: nil)
        #expect(configuration.relays.map(\.name) == ["team", "staging", "other"])
        let team = try #require(configuration.relay(named: "team"))
        #expect(team.target.port == 587)
        #expect(team.target.authentication?.password == "p@ss")
        #expect(team.policy.allow == ["*@mycompany.example"])
        #expect(configuration.relay(named: "staging")?.target.tls == .implicit)
        #expect(configuration.relay(named: "other")?.retry.initialDelay == .seconds(60))
        #expect(!"\(configuration.relaySummary)".contains("p@ss"))
    }

    @Test(arguments: [
        ("smtp://host", "NAME=URL"),
        ("bad name=smtp://host", "not a valid relay name"),
        ("x=smtp://host?verify=maybe", "relay 'x': verify=maybe is not valid"),
        ("x=smtp://u:secret@host?colour=red", "unknown relay URL parameter 'colour'"),
    ])
    func badEntriesAreRefusedClearly(entry: String, message: String) {
        #expect {
            _ = try RelayConfiguration.load(flags: [entry], environment: nil, file: nil)
        } throws: { error in
            "\(error)".contains(message) && !"\(error)".contains("secret")
        }
    }

    @Test func aNameMayBeConfiguredOnce() {
        #expect(throws: RelayConfigurationError.self) {
            try RelayConfiguration.load(flags: ["a=smtp://one", "a=smtp://two"], environment: nil, file: nil)
        }
    }

    @Test func yamlFileGivesTheSameFieldsAndARetryPolicy() throws {
        let yaml = """
            retry:
              backoff: 10s
              maxBackoff: 5m
              giveUpAfter: 2h
            relays:
              team:
                host: smtp.example.com
                port: 2525
                tls: none
                username: bot
                password: "s3cret:with@"
                auth: login
                from: bounces@example.com
                allow: ["*@mycompany.example", "qa@partner.example"]
                deny: [ceo@mycompany.example]
              staging:
                url: smtps://staging.example:4650
                verify: false
                timeout: 2m
                retry: { backoff: 1m, giveUpAfter: 1d }
            """
        let parsed = try RelayConfigurationFile.parse(yaml, path: "relays.yaml")
        #expect(parsed.defaultRetry.initialDelay == .seconds(10))
        let team = try #require(parsed.relays.first { $0.name == "team" })
        #expect(team.target.host == "smtp.example.com" && team.target.port == 2525 && team.target.tls == .none)
        #expect(team.target.authentication == .init(mechanism: .login, username: "bot", password: "s3cret:with@"))
        #expect(team.target.mailFrom == "bounces@example.com")
        #expect(
            team.policy
                == RecipientPolicy(
                    allow: ["*@mycompany.example", "qa@partner.example"], deny: ["ceo@mycompany.example"]))
        #expect(team.retry.maximumDelay == .seconds(300) && team.retry.giveUpAfter == .seconds(7200))
        let staging = try #require(parsed.relays.first { $0.name == "staging" })
        #expect(staging.target.tls == .implicit && staging.target.port == 4650 && !staging.target.verifiesCertificate)
        #expect(staging.retry.initialDelay == .seconds(60) && staging.retry.giveUpAfter == .seconds(86400))
        #expect(staging.target.timeouts.attempt == .seconds(120))
        #expect(team.target.timeouts.attempt == SMTPClientTimeouts().attempt)
        #expect(staging.retry.maximumDelay == .seconds(300))
    }

    @Test(arguments: [
        ("relays:\n  team:\n    hots: smtp.example.com\n", "unknown key relays.team.hots"),
        ("relays:\n  team:\n    url: smtp://a\n    host: b\n", "has both url and host"),
        ("relays:\n  team:\n    host: a\n    retry: {backoff: 1h, maxBackoff: 1m}\n", "maxBackoff must not be shorter"),
        ("relay:\n  team: {}\n", "unknown key 'relay'"),
        ("relays:\n  team:\n    host: a\n    allow: []\n", "must be a list of patterns"),
        ("relays: [", "not valid"),
    ])
    func badFilesAreRefusedClearly(yaml: String, message: String) {
        #expect {
            _ = try RelayConfigurationFile.parse(yaml, path: "r.yaml")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    // MARK: - Policy

    @Test func withoutAnAllowListOnlyNamedRecipientsPass() {
        let policy = RecipientPolicy(deny: ["*@blocked.example"])
        #expect(policy.permits("anyone@example.com", origin: .explicit))
        #expect(!policy.permits("anyone@example.com", origin: .automatic))
        #expect(!policy.permits("x@BLOCKED.example", origin: .explicit))
    }

    /// What a relay sends and judges is the mailbox in its plain spelling: a quoted local part that quoting
    /// does not need is unquoted (so it cannot walk past a deny pattern), and what is not one mailbox is refused.
    @Test func recipientsAreJudgedInTheirPlainSpelling() {
        let plain: [(String, String?)] = [
            ("bob@mycompany.example", "bob@mycompany.example"),
            ("Bob.Smith+qa@MyCompany.example", "Bob.Smith+qa@MyCompany.example"),
            ("\"ceo\"@corp.example", "ceo@corp.example"),
            ("\"c\\eo\"@corp.example", "ceo@corp.example"),
            ("\"first.last\"@corp.example", "first.last@corp.example"),
            ("pelé@exämple.example", "pelé@exämple.example"),
            ("ops@[192.0.2.1]", "ops@[192.0.2.1]"),
            ("evil@x.example,b@ok.example", nil),
            ("evil@x.example@ok.example", nil),
            ("\"a b\"@corp.example", nil),
            ("\"a@b\"@corp.example", nil),
            ("a..b@corp.example", nil),
            (".a@corp.example", nil),
            ("a@corp.example.", nil),
            ("a@-corp.example", nil),
            ("a@", nil),
            ("@corp.example", nil),
            ("a b@corp.example", nil),
            ("\"unterminated@corp.example", nil),
            // Spellings a receiving server may fold into another mailbox.
            ("ceo%corp.example@corp.example", nil),
            ("corp.example!ceo@corp.example", nil),
            ("ceo@ｃｏｒｐ.example", nil),
            ("ceo@corp\u{3002}example", nil),
            ("ceo@co\u{AD}rp.example", nil),
            ("ceo@bücher.example", "ceo@bücher.example"),
            ("", nil),
        ]
        for (address, expected) in plain {
            #expect(RelayRecipient.canonical(address) == expected, "\(address)")
        }
    }

    @Test func denyWinsOverAllow() {
        let policy = RecipientPolicy(allow: ["*@mycompany.example"], deny: ["ceo@mycompany.example"])
        #expect(policy.permits("Bob@MyCompany.example", origin: .automatic))
        #expect(policy.permits("bob@mycompany.example", origin: .explicit))
        #expect(!policy.permits("ceo@mycompany.example", origin: .explicit))
        #expect(!policy.permits("bob@mycompany.example.evil", origin: .explicit))
        #expect(
            policy.refused(["a@mycompany.example", "b@other.example", "ceo@mycompany.example"], origin: .explicit)
                == ["b@other.example", "ceo@mycompany.example"])
    }

    @Test func denyCoversTheMailboxesSubaddresses() {
        let policy = RecipientPolicy(allow: ["*@mycompany.example"], deny: ["ceo@mycompany.example"])
        #expect(!policy.permits("ceo+test@mycompany.example", origin: .explicit))
        #expect(!policy.permits("CEO+a+b@MyCompany.example", origin: .automatic))
        #expect(policy.permits("ceox+test@mycompany.example", origin: .explicit))
        #expect(policy.permits("+ceo@mycompany.example", origin: .explicit))
        // An allow pattern still sees the address as written: the subaddress is what it names.
        let tagged = RecipientPolicy(allow: ["qa+*@example.com"])
        #expect(tagged.permits("qa+1@example.com", origin: .automatic))
        #expect(!tagged.permits("qa@example.com", origin: .automatic))
        #expect(RecipientPolicy.withoutSubaddress("a+b@[192.0.2.1]") == "a@[192.0.2.1]")
        #expect(RecipientPolicy.withoutSubaddress("ab@x.example") == nil)
    }

    @Test func wildcardsMatchWholeAddresses() {
        #expect(RecipientPolicy.matches("qa+*@example.com", "qa+1@example.com"))
        #expect(!RecipientPolicy.matches("qa+*@example.com", "xqa+1@example.com"))
        #expect(RecipientPolicy.matches("?@x.example", "a@x.example"))
        #expect(!RecipientPolicy.matches("?@x.example", "ab@x.example"))
        #expect(RecipientPolicy.matches("*", "anything@at.all"))
    }

    // MARK: - Retry

    @Test func backoffDoublesUpToTheCap() {
        let policy = RetryPolicy()
        let delays = (1...10).map { policy.baseDelay(afterAttempts: $0) }
        #expect(Array(delays.prefix(8)) == [30, 60, 120, 240, 480, 960, 1920, 3600].map { Duration.seconds($0) })
        #expect(delays.last == .seconds(3600))
        #expect(policy.baseDelay(afterAttempts: Int.max) == .seconds(3600))
    }

    @Test func jitterStaysWithinItsShareAndTheTotalEndsRetrying() {
        let policy = RetryPolicy()
        let queued = Date(timeIntervalSince1970: 1_000_000)
        for random in [0.0, 0.25, 0.5, 1.0] {
            let next = policy.nextAttempt(afterAttempts: 1, queuedAt: queued, now: queued, random: random)
            let delay = next.map { $0.timeIntervalSince(queued) } ?? -1
            #expect((24...36).contains(delay), "\(random): \(delay)")
        }
        #expect(
            policy.nextAttempt(afterAttempts: 1, queuedAt: queued, now: queued, random: 0.5)
                == queued.addingTimeInterval(30))
        let late = queued.addingTimeInterval(24 * 3600 - 10)
        #expect(policy.nextAttempt(afterAttempts: 30, queuedAt: queued, now: late, random: 0.5) == nil)
    }
}

extension RelayConfiguration {
    /// Everything printed about the relays, to check no password is in it.
    fileprivate var relaySummary: String { relays.map { "\($0.target)" }.joined(separator: "\n") }
}

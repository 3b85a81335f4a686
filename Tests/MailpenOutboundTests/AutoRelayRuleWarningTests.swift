import Foundation
import Logging
import MailpenStore
import MailpenTestSupport
import Testing

@testable import MailpenRelay

/// A rule saved before the grammar's limits were tightened no longer parses: the service says so rather
/// than skipping it unseen.
@Suite("Auto-relay rules that no longer parse")
struct AutoRelayRuleWarningTests {
    @Test func aRuleThatNoLongerParsesIsNamedInTheLog() async throws {
        try await withStore { store, _ in
            let lines = LoggedLines(minimumLevel: .warning)
            let relays = try RelayConfiguration.load(
                flags: ["team=smtp://127.0.0.1:9?tls=none&allow=*@example.com"], environment: nil, file: nil)
            let service = RelayService(
                configuration: relays, store: store, queue: store, hostname: "mailpen.test",
                logger: lines.logger)
            try await service.start()
            // Written past the service's own validation, as an older Mailpen could have saved it.
            let phrase = "\"" + (1...40).map { "w\($0)" }.joined(separator: " ") + "\""
            try await store.setAutoRelayRules(
                [AutoRelayRule(relay: "team", query: "subject:hello"), AutoRelayRule(relay: "team", query: phrase)],
                inbox: "default")
            _ = try await store.store(incoming("Subject: hello\r\n\r\nx\r\n"))
            let deadline = ContinuousClock.now + .seconds(10)
            // The rule that parses still applies: its delivery is queued once the batch was checked.
            while try await store.deliveries(status: nil, relay: "team", limit: 10).isEmpty,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            await service.stop(grace: .zero)
            let warning = try #require(lines.containing("is skipped").first)
            #expect(warning.contains("inbox default to relay team"))
            #expect(warning.contains("w40"))
            #expect(try await store.deliveries(status: nil, relay: "team", limit: 10).count == 1)
        }
    }
}

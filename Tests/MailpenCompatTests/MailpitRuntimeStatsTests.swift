import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MailpenHTTP
import Testing

@testable import MailpenCompat

/// Mailpit's runtime statistics come from Mailpen's metrics, the counters `/metrics` exports.
@Suite("Mailpit runtime statistics")
struct MailpitRuntimeStatsTests {
    @Test func infoReportsTheMetricsCounts() async throws {
        try await withCompatStore { fixture in
            let metrics = MailpenMetrics()
            metrics.messageStored(size: 120, duration: .milliseconds(1))
            metrics.messageStored(size: 80, duration: .milliseconds(1))
            metrics.messageRejected()
            metrics.messagesDeleted(count: 3)
            metrics.messagesDeleted(count: 0)
            var dependencies = CompatRouteTests.dependencies(fixture)
            var compat = fixture.dependencies
            compat.runtimeCounters = metrics
            dependencies.mailpitAPI = compat
            let application = Application(router: MailpenHTTP.makeResponderBuilder(dependencies))
            try await application.test(.router) { client in
                let response = try await client.execute(uri: "/api/v1/info", method: .get)
                #expect(response.status == .ok)
                let stats = try #require(try CompatRouteTests.object(response)["RuntimeStats"] as? [String: Any])
                #expect(stats["SMTPAccepted"] as? Int == 2)
                #expect(stats["SMTPAcceptedSize"] as? Int == 200)
                #expect(stats["SMTPRejected"] as? Int == 1)
                #expect(stats["MessagesDeleted"] as? Int == 3)
                #expect(stats["SMTPIgnored"] as? Int == 0)
            }
            let text = metrics.prometheusText()
            #expect(text.contains("mailpen_messages_deleted_total 3"))
            #expect(text.contains("mailpen_smtp_messages_rejected_total 1"))
        }
    }

    @Test func withoutACounterSourceTheStatisticsAreZero() async throws {
        try await CompatRouteTests.withMailpit { _, client in
            let response = try await client.execute(uri: "/api/v1/info", method: .get)
            let stats = try #require(try CompatRouteTests.object(response)["RuntimeStats"] as? [String: Any])
            #expect(stats["SMTPAccepted"] as? Int == 0 && stats["MessagesDeleted"] as? Int == 0)
        }
    }
}

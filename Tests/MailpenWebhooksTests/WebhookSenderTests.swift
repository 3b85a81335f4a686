import AsyncHTTPClient
import Foundation
import MailpenStore
import Testing

@testable import MailpenWebhooks

@Suite("Webhook sender")
struct WebhookSenderTests {
    /// A URL stored before ports were checked (the HTTP client traps on a port past 16 bits) fails its
    /// attempt: a queued delivery must not stop Mailpen at every start.
    @Test(arguments: ["http://127.0.0.1:99999/hook", "http://[::1]:70000/hook", "http://localhost:0/hook"])
    func aPortOutOfRangeFailsTheAttempt(url: String) async throws {
        let client = WebhookSender.makeClient(timeout: .seconds(2))
        let sender = WebhookSender(client: client, timeout: .seconds(2))
        let now = Date()
        let delivery = WebhookDelivery(
            id: "D1", inbox: "default", url: url, event: .stored, body: "{}", secret: nil, backoffMilliseconds: 100,
            status: .queued, attempts: 0, lastStatusCode: nil, lastError: nil, nextAttemptAt: now, createdAt: now,
            updatedAt: now, history: [])
        let outcome = await sender.send(delivery, now: now)
        try await client.shutdown()
        #expect(outcome.statusCode == nil)
        #expect(outcome.error?.contains("port") == true, "\(url): \(outcome)")
    }
}

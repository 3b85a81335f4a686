import Foundation
import MailpenStore
import Testing

@testable import MailpenWebhooks

@Suite("Webhook interest in store changes")
struct WebhookInterestTests {
    private func summary(in inbox: String) -> MessageSummary {
        MessageSummary(
            id: "m-\(inbox)", inbox: inbox, receivedAt: Date(), from: nil, to: [], cc: [], subject: "", snippet: "",
            size: 1, attachmentCount: 0, isRead: false, tags: [])
    }

    private func stored(in inbox: String) -> StoreEvent {
        .stored(summary(in: inbox))
    }

    @Test("until the webhooks are first read every change passes; then only those of inboxes with webhooks")
    func filtersByInboxOnceRead() {
        let interest = WebhookInterest()
        #expect(interest.filter(stored(in: "shop")))
        interest.update(inboxes: ["Shop"], readAfter: interest.generation)
        #expect(interest.filter(stored(in: "shop")))
        #expect(interest.filter(.deleted(inbox: "SHOP", ids: ["a"])))
        #expect(!interest.filter(stored(in: "blog")))
        #expect(!interest.filter(.cleared(inbox: "blog")))
        #expect(!interest.filter(.updated(summary(in: "shop"))))
    }

    /// A webhook set on an inbox is announced by an inbox event; mail stored before the service has read
    /// the webhooks again must reach it, and a read that began before a later inbox event does not end
    /// the passing.
    @Test("after an inbox event everything passes until a read that began after it")
    func inboxEventsOpenTheGateUntilReadAgain() {
        let interest = WebhookInterest()
        interest.update(inboxes: [], readAfter: interest.generation)
        #expect(!interest.filter(stored(in: "blog")))
        #expect(interest.filter(.inbox(name: "blog", change: .updated)))
        let firstRead = interest.generation
        #expect(interest.filter(stored(in: "blog")))
        #expect(interest.filter(.inbox(name: "news", change: .updated)))
        interest.update(inboxes: ["blog"], readAfter: firstRead)
        #expect(interest.filter(stored(in: "news")), "a read older than the last inbox event keeps the gate open")
        interest.update(inboxes: ["blog", "news"], readAfter: interest.generation)
        #expect(interest.filter(stored(in: "news")))
        #expect(!interest.filter(stored(in: "shop")))
    }
}

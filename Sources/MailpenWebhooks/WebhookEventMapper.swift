import Crypto
import Foundation
import MailpenStore

/// Turns the store's changes and the relay's delivery changes into webhook events for the inboxes that
/// want them, each with a key that is the same on every node hearing of the same change.
public struct WebhookEventMapper: Sendable {
    /// How the API writes the objects events carry, so that a webhook reads what the API would return.
    public struct Representation: Sendable {
        public var summary: @Sendable (MessageSummary) throws -> String
        public var delivery: @Sendable (Delivery) throws -> String

        public init(
            summary: @escaping @Sendable (MessageSummary) throws -> String,
            delivery: @escaping @Sendable (Delivery) throws -> String
        ) {
            self.summary = summary
            self.delivery = delivery
        }
    }

    public var representation: Representation
    /// The events each inbox's webhooks want, by lowercased inbox name.
    public private(set) var subscriptions: [String: Set<Webhook.Event>] = [:]

    public init(representation: Representation) {
        self.representation = representation
    }

    /// Replaces the subscriptions (names as the store gives them).
    public mutating func setSubscriptions(_ subscriptions: [String: Set<Webhook.Event>]) {
        self.subscriptions = Dictionary(
            subscriptions.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $0.union($1) })
    }

    private func wants(_ inbox: String, _ event: Webhook.Event) -> Bool {
        subscriptions[inbox.lowercased()]?.contains(event) ?? false
    }

    /// The webhook event for a store change, if any inbox wants it.
    public func event(for change: StoreEvent) throws -> WebhookEvent? {
        switch change {
        case .stored(let summary):
            guard wants(summary.inbox, .stored) else { return nil }
            return WebhookEvent(
                inbox: summary.inbox, event: .stored, key: "stored:\(summary.id)",
                body: WebhookPayload.stored(inbox: summary.inbox, summaryJSON: try representation.summary(summary)))
        case .deleted(let inbox, let ids):
            guard wants(inbox, .deleted), !ids.isEmpty else { return nil }
            return WebhookEvent(
                inbox: inbox, event: .deleted, key: "deleted:\(Self.digest(ids))",
                body: WebhookPayload.deleted(inbox: inbox, ids: ids, all: false))
        case .cleared(let inbox):
            guard wants(inbox, .deleted) else { return nil }
            // Nothing tells one emptying from another: each is its own event.
            return WebhookEvent(
                inbox: inbox, event: .deleted, key: "cleared:\(UUID().uuidString)",
                body: WebhookPayload.deleted(inbox: inbox, ids: [], all: true))
        case .updated, .inbox:
            return nil
        }
    }

    /// The webhook event for a change of a relay delivery, if its inbox wants it. A delivery being sent
    /// is not an event; being queued (again), sent or failed is.
    public func event(for delivery: Delivery) throws -> WebhookEvent? {
        guard delivery.status != .sending, wants(delivery.inbox, .delivery) else { return nil }
        return WebhookEvent(
            inbox: delivery.inbox, event: .delivery,
            key: "delivery:\(delivery.id):\(delivery.attempts):\(delivery.status.rawValue)",
            body: WebhookPayload.delivery(inbox: delivery.inbox, deliveryJSON: try representation.delivery(delivery)))
    }

    /// A short, stable name for a set of message ids.
    static func digest(_ ids: [String]) -> String {
        SHA256.hash(data: Data(ids.joined(separator: ",").utf8)).prefix(16)
            .map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

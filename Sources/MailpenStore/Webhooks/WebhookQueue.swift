import Foundation

/// Each inbox's webhooks and the durable queue of events on their way to them, kept in the store so that
/// they survive restarts and crashes, and shared by every node of a shared database:
///
/// - ``enqueueWebhookEvents(_:at:)`` fans events out to the webhooks that want them, in one transaction;
/// - ``claimDueWebhookDeliveries(now:limit:share:)`` hands due deliveries to one sender only, and only the
///   oldest unfinished delivery of each URL, so that a URL gets its events in order, and no more of one
///   inbox's than its share;
/// - ``recordWebhookAttempts(_:)`` stores what attempts did;
/// - ``recoverInterruptedWebhookDeliveries(claimedBefore:now:)`` puts back deliveries left `sending` by a
///   process that stopped mid-attempt (at-least-once: receivers deduplicate by `Mailpen-Delivery`).
public protocol WebhookQueue: Sendable {
    /// An inbox's webhooks, in order. Throws ``StoreError/inboxNotFound(_:)``.
    func webhooks(inbox: String) async throws -> [Webhook]
    /// Replaces an inbox's webhooks (validated by ``WebhookLimits/validate(_:)``); deliveries still queued
    /// for a URL no longer among them fail with "webhook removed". Throws ``StoreError/inboxNotFound(_:)``.
    func setWebhooks(_ webhooks: [Webhook], inbox: String) async throws
    /// Every inbox that has webhooks (by name as stored), with the events any of them wants.
    func webhookSubscriptions() async throws -> [String: Set<Webhook.Event>]
    /// Queues each event for each webhook of its inbox that wants it, due at `at`, in one transaction; an
    /// event whose key a URL already has is skipped. Returns how many deliveries were queued.
    @discardableResult
    func enqueueWebhookEvents(_ events: [WebhookEvent], at: Date) async throws -> Int
    /// Marks up to `limit` due deliveries `sending` and returns them: for each URL at most its oldest
    /// unfinished delivery, and none while that one is being sent; and no more of one inbox's than make its
    /// `share` under way, those already being sent counted, so that one inbox's hanging endpoints cannot
    /// hold up every other inbox's.
    func claimDueWebhookDeliveries(now: Date, limit: Int, share: WebhookShare) async throws -> [WebhookDelivery]
    /// Records attempts on deliveries being sent, in one transaction.
    func recordWebhookAttempts(_ results: [WebhookAttemptResult]) async throws
    /// Puts deliveries claimed before `claimedBefore` and still `sending` back in the queue, due at `now`;
    /// returns how many.
    func recoverInterruptedWebhookDeliveries(claimedBefore: Date, now: Date) async throws -> Int
    /// When the earliest claimable delivery (the oldest unfinished one of its URL, not being sent, of an
    /// inbox under its `share`) is due, if there is one: a sender can sleep until then, even while a hanging
    /// endpoint holds its URL's queue or an inbox's hanging endpoints its share.
    func nextWebhookDueDate(share: WebhookShare) async throws -> Date?
    /// An inbox's deliveries, newest first, optionally of one status, at most `limit`. Throws
    /// ``StoreError/inboxNotFound(_:)``.
    func webhookDeliveries(inbox: String, status: WebhookDelivery.Status?, limit: Int) async throws
        -> [WebhookDelivery]
    /// Deletes finished (sent or failed) deliveries last changed before `date`; returns how many.
    @discardableResult
    func pruneWebhookDeliveries(finishedBefore date: Date) async throws -> Int
}

import Foundation

/// The durable queue of relay deliveries, kept in the store beside the messages so that it survives
/// restarts and crashes. Deliberately small, so that every storage backend can carry it:
///
/// - ``enqueue(messageID:relay:recipients:at:)`` adds `queued` deliveries;
/// - ``claimDueDeliveries(now:limit:)`` moves due `queued` deliveries to `sending` and hands them to one
///   sender only (SQLite: one writer; a shared database: a row lock skipped by other nodes);
/// - ``recordAttempt(_:)`` stores what an attempt did (the next state, the reply, the history);
/// - ``recoverInterruptedDeliveries(now:)`` puts back deliveries left `sending` by a crash, at start-up;
/// - the listings read the queue for the API.
///
/// A delivery recorded `sent` is never claimed again; one interrupted between the relay's 250 and the
/// record is sent again after recovery (at-least-once).
///
/// Auto-relay rules live here too: they are the queue's input, per inbox, and are removed with the inbox.
public protocol DeliveryQueue: Sendable {
    /// Queues one delivery of a stored message per recipient list, all due at `at`. Throws
    /// ``StoreError/messageNotFound(_:)`` if the message does not exist.
    func enqueue(messageID: String, relay: String, recipients: [[String]], at: Date) async throws -> [Delivery]
    /// Marks up to `limit` deliveries due by `now` as `sending` and returns them, earliest due first.
    func claimDueDeliveries(now: Date, limit: Int) async throws -> [Delivery]
    /// Records an attempt on a delivery being sent; returns the delivery as it now stands.
    func recordAttempt(_ result: DeliveryAttemptResult) async throws -> Delivery
    /// Puts deliveries left `sending` (by a process that stopped mid-attempt) back into the queue, due at
    /// `now`; returns how many.
    func recoverInterruptedDeliveries(now: Date) async throws -> Int
    /// When the earliest `queued` delivery is due, if any is.
    func nextDueDate() async throws -> Date?
    /// One delivery.
    func delivery(id: String) async throws -> Delivery?
    /// A message's deliveries, oldest first.
    func deliveries(messageID: String) async throws -> [Delivery]
    /// Deliveries by status and/or relay (`nil` for any), newest first, at most `limit`.
    func deliveries(status: Delivery.Status?, relay: String?, limit: Int) async throws -> [Delivery]

    /// An inbox's auto-relay rules, in order. Throws ``StoreError/inboxNotFound(_:)``.
    func autoRelayRules(inbox: String) async throws -> [AutoRelayRule]
    /// Replaces an inbox's auto-relay rules. Throws ``StoreError/inboxNotFound(_:)``.
    func setAutoRelayRules(_ rules: [AutoRelayRule], inbox: String) async throws
}

/// Why the delivery queue refused a change.
public enum DeliveryQueueError: Error, Hashable, CustomStringConvertible {
    case deliveryNotFound(String)
    /// The request breaks a limit of the queue (see ``DeliveryLimits``).
    case invalid(String)

    public var description: String {
        switch self {
        case .deliveryNotFound(let id): return "delivery '\(id)' does not exist"
        case .invalid(let reason): return reason
        }
    }
}

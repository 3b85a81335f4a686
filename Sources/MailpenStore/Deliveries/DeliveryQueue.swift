import Foundation

/// The durable queue of relay deliveries, kept in the store beside the messages so that it survives
/// restarts and crashes. Deliberately small, so that every storage backend can carry it:
///
/// - ``enqueue(_:at:)`` adds `queued` deliveries;
/// - ``claimDueDeliveries(now:limit:share:)`` moves due `queued` deliveries to `sending` and hands them to
///   one sender only (SQLite: one writer; a shared database: a row lock skipped by other nodes), no more of
///   one relay than its ``RelayShare``;
/// - ``recordAttempts(_:)`` stores what attempts did (the next state, the reply, the history);
/// - ``recoverInterruptedDeliveries(now:)`` puts back deliveries left `sending` by a crash, at start-up;
/// - the listings read the queue for the API.
///
/// A delivery recorded `sent` is never claimed again; one interrupted between the relay's 250 and the
/// record is sent again after recovery (at-least-once).
///
/// Auto-relay rules live here too: they are the queue's input, per inbox, and are removed with the inbox.
public protocol DeliveryQueue: Sendable {
    /// Queues one delivery per request, all due at `at`, in one transaction (a burst of auto-relayed mail
    /// costs one commit, not one each). Throws ``StoreError/messageNotFound(_:)``, queuing nothing, if a
    /// message does not exist.
    func enqueue(_ requests: [DeliveryRequest], at: Date) async throws -> [Delivery]
    /// Marks up to `limit` deliveries due by `now` as `sending` and returns them, earliest due first; of a
    /// relay, only as many as its share leaves beside those already `sending`.
    func claimDueDeliveries(now: Date, limit: Int, share: RelayShare) async throws -> [Delivery]
    /// Records attempts on deliveries being sent, in one transaction; returns the deliveries as they now
    /// stand (those no longer in the queue are left out).
    func recordAttempts(_ results: [DeliveryAttemptResult]) async throws -> [Delivery]
    /// Puts deliveries left `sending` (by a process that stopped mid-attempt) back into the queue, due at
    /// `now`; returns how many.
    func recoverInterruptedDeliveries(now: Date) async throws -> Int
    /// When the earliest delivery a claim with `share` could take is due, if any is.
    func nextDueDate(share: RelayShare) async throws -> Date?
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

extension DeliveryQueue {
    /// Claims with no share per relay.
    public func claimDueDeliveries(now: Date, limit: Int) async throws -> [Delivery] {
        try await claimDueDeliveries(now: now, limit: limit, share: .unlimited)
    }

    /// When the earliest `queued` delivery is due, whatever its relay.
    public func nextDueDate() async throws -> Date? {
        try await nextDueDate(share: .unlimited)
    }
}

/// Why the delivery queue refused a change.
public enum DeliveryQueueError: Error, Hashable, CustomStringConvertible {
    /// The request breaks a limit of the queue (see ``DeliveryLimits``).
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): return reason
        }
    }
}

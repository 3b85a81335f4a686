import Foundation

/// Where one delivery of a durable outgoing queue stands and what its attempts were. The relay's deliveries
/// and the webhooks' are retried the same way, so both keep their progress in this one shape (and read its
/// fields as their own, see ``Delivery`` and ``WebhookDelivery``); only what an attempt records differs.
public struct DeliveryProgress<Attempt: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public var status: DeliveryStatus
    public var attempts: Int
    /// Why the last attempt failed, when it did.
    public var lastError: String?
    /// When the next attempt is due; `nil` once the delivery is finished.
    public var nextAttemptAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// The attempts, oldest first (only the newest few are kept).
    public var history: [Attempt]

    public init(
        status: DeliveryStatus, attempts: Int, lastError: String?, nextAttemptAt: Date?, createdAt: Date,
        updatedAt: Date, history: [Attempt]
    ) {
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.history = history
    }
}

/// A delivery that keeps its progress in a ``DeliveryProgress`` and reads its fields as its own:
/// `delivery.status` is `delivery.progress.status`.
@dynamicMemberLookup
public protocol QueuedDelivery {
    associatedtype Attempt: Sendable & Hashable & Codable
    var progress: DeliveryProgress<Attempt> { get set }
}

extension QueuedDelivery {
    public subscript<Value>(dynamicMember field: WritableKeyPath<DeliveryProgress<Attempt>, Value>) -> Value {
        get { progress[keyPath: field] }
        set { progress[keyPath: field] = newValue }
    }
}

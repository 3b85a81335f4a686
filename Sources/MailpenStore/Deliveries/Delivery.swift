import Foundation

/// One message on its way to one relay: the recipients it goes to, where it stands, and every attempt so
/// far. A row of the durable delivery queue (see ``DeliveryQueue``). Its progress (status, attempts,
/// history, …) reads as its own properties: `delivery.status` is `delivery.progress.status`.
public struct Delivery: QueuedDelivery, Sendable, Hashable, Codable {
    /// Where a delivery stands; a recipient's fate too.
    public typealias Status = DeliveryStatus

    /// One recipient's fate so far: `queued` until the relay accepts it (`sent`) or refuses it for good
    /// (`failed`).
    public struct Recipient: Sendable, Hashable, Codable {
        public var address: String
        public var status: Status
        /// The relay's last reply about this recipient, such as `250 2.1.5 Ok` or `550 5.1.1 unknown`.
        public var reply: String?

        public init(address: String, status: Status = .queued, reply: String? = nil) {
            self.address = address
            self.status = status
            self.reply = reply
        }
    }

    /// One attempt: when it ended, how, and what the relay said.
    public struct Attempt: Sendable, Hashable, Codable {
        public var at: Date
        /// `sent`, `temporaryFailure` or `permanentFailure`.
        public var outcome: String
        public var reply: String?
        public var error: String?

        public init(at: Date, outcome: String, reply: String?, error: String?) {
            self.at = at
            self.outcome = outcome
            self.reply = reply
            self.error = error
        }
    }

    public var id: String
    public var messageID: String
    /// The inbox the message was in when the delivery was queued (for event filters).
    public var inbox: String
    public var relay: String
    public var recipients: [Recipient]
    /// The reply that decided the last attempt (`250 2.0.0 Ok: queued as …`), if the relay said anything.
    public var lastReply: String?
    /// Status, attempts and their history (the newest ``DeliveryLimits/attemptsKept``).
    public var progress: DeliveryProgress<Attempt>

    public init(
        id: String, messageID: String, inbox: String, relay: String, recipients: [Recipient], status: Status,
        attempts: Int, lastReply: String?, lastError: String?, nextAttemptAt: Date?, createdAt: Date,
        updatedAt: Date, history: [Attempt]
    ) {
        self.id = id
        self.messageID = messageID
        self.inbox = inbox
        self.relay = relay
        self.recipients = recipients
        self.lastReply = lastReply
        progress = DeliveryProgress(
            status: status, attempts: attempts, lastError: lastError, nextAttemptAt: nextAttemptAt,
            createdAt: createdAt, updatedAt: updatedAt, history: history)
    }

    /// The addresses the delivery is for, in order.
    public var to: [String] { recipients.map(\.address) }

    /// The recipients an attempt still has to try.
    public var pendingRecipients: [String] {
        recipients.filter { $0.status == .queued || $0.status == .sending }.map(\.address)
    }
}

/// A delivery to queue: a stored message, a relay and the recipients.
public struct DeliveryRequest: Sendable, Hashable {
    public var messageID: String
    public var relay: String
    public var recipients: [String]

    public init(messageID: String, relay: String, recipients: [String]) {
        self.messageID = messageID
        self.relay = relay
        self.recipients = recipients
    }
}

/// What a sender learned from one attempt, to be recorded by ``DeliveryQueue/recordAttempts(_:)``.
public struct DeliveryAttemptResult: Sendable, Hashable {
    public var deliveryID: String
    /// The delivery's new state: `sent`, `failed`, or `queued` for another attempt at ``nextAttemptAt``.
    public var status: Delivery.Status
    /// The recipients with their new state (those not tried keep theirs).
    public var recipients: [Delivery.Recipient]
    public var attempt: Delivery.Attempt
    public var nextAttemptAt: Date?

    public init(
        deliveryID: String, status: Delivery.Status, recipients: [Delivery.Recipient], attempt: Delivery.Attempt,
        nextAttemptAt: Date?
    ) {
        self.deliveryID = deliveryID
        self.status = status
        self.recipients = recipients
        self.attempt = attempt
        self.nextAttemptAt = nextAttemptAt
    }
}

/// An inbox's rule for relaying new mail automatically: messages matching ``query`` (the search grammar)
/// go to ``relay``, to ``to`` or, when that is `nil`, to their envelope recipients the relay allows.
public struct AutoRelayRule: Sendable, Hashable, Codable {
    public var relay: String
    public var query: String
    public var to: [String]?

    public init(relay: String, query: String, to: [String]? = nil) {
        self.relay = relay
        self.query = query
        self.to = to
    }
}

/// Bounds on what the delivery queue keeps.
public enum DeliveryLimits {
    /// Recipients in one delivery.
    public static let maximumRecipients = 1000
    /// Attempts kept in a delivery's history (the count goes on).
    public static let attemptsKept = 50
    /// Auto-relay rules per inbox.
    public static let maximumRulesPerInbox = 32
    /// Deliveries one listing returns at most.
    public static let maximumListing = 1000
}

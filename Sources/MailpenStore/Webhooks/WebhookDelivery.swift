import Foundation

/// One event on its way to one webhook URL: the exact body, where it stands and every attempt so far. A
/// row of the durable webhook queue (see ``WebhookQueue``); its ``id`` is the `Mailpen-Delivery` header,
/// the same on every attempt. Its progress (status, attempts, history, …) reads as its own properties.
public struct WebhookDelivery: QueuedDelivery, Sendable, Hashable, Codable {
    /// Where a delivery stands.
    public typealias Status = DeliveryStatus

    /// One attempt: when it ended, the HTTP status (if any answer came), why it failed and how long it took.
    public struct Attempt: Sendable, Hashable, Codable {
        public var at: Date
        public var statusCode: Int?
        public var error: String?
        public var durationMilliseconds: Int

        public init(at: Date, statusCode: Int?, error: String?, durationMilliseconds: Int) {
            self.at = at
            self.statusCode = statusCode
            self.error = error
            self.durationMilliseconds = durationMilliseconds
        }
    }

    /// Sent as the `Mailpen-Delivery` header, the same on every attempt, so receivers can drop repeats.
    public var id: String
    public var inbox: String
    public var url: String
    public var event: Webhook.Event
    /// The JSON body, fixed when the event was queued.
    public var body: String
    /// The secret the webhook had when the event was queued.
    public var secret: String?
    public var backoffMilliseconds: Int
    /// The HTTP status of the last answer, if any came.
    public var lastStatusCode: Int?
    /// Status, attempts and their history (the newest ``WebhookLimits/attemptsKept``).
    public var progress: DeliveryProgress<Attempt>

    public init(
        id: String, inbox: String, url: String, event: Webhook.Event, body: String, secret: String?,
        backoffMilliseconds: Int, status: Status, attempts: Int, lastStatusCode: Int?, lastError: String?,
        nextAttemptAt: Date?, createdAt: Date, updatedAt: Date, history: [Attempt]
    ) {
        self.id = id
        self.inbox = inbox
        self.url = url
        self.event = event
        self.body = body
        self.secret = secret
        self.backoffMilliseconds = backoffMilliseconds
        self.lastStatusCode = lastStatusCode
        progress = DeliveryProgress(
            status: status, attempts: attempts, lastError: lastError, nextAttemptAt: nextAttemptAt,
            createdAt: createdAt, updatedAt: updatedAt, history: history)
    }
}

/// An event to queue for every webhook of its inbox that wants it.
public struct WebhookEvent: Sendable, Hashable {
    public var inbox: String
    public var event: Webhook.Event
    /// What makes the event unique for a URL (`stored:<message id>`): queuing the same key twice (as every
    /// node sharing a database hears of the same change) queues it once.
    public var key: String
    /// The JSON body to post.
    public var body: String

    public init(inbox: String, event: Webhook.Event, key: String, body: String) {
        self.inbox = inbox
        self.event = event
        self.key = key
        self.body = body
    }
}

/// What a sender learned from one attempt, to be recorded by ``WebhookQueue/recordWebhookAttempts(_:)``.
public struct WebhookAttemptResult: Sendable, Hashable {
    public var deliveryID: String
    /// `sent`, `failed`, or `queued` for another attempt at ``nextAttemptAt``.
    public var status: WebhookDelivery.Status
    public var attempt: WebhookDelivery.Attempt
    public var nextAttemptAt: Date?

    public init(
        deliveryID: String, status: WebhookDelivery.Status, attempt: WebhookDelivery.Attempt, nextAttemptAt: Date?
    ) {
        self.deliveryID = deliveryID
        self.status = status
        self.attempt = attempt
        self.nextAttemptAt = nextAttemptAt
    }
}

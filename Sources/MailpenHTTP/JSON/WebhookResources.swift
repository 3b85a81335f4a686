import Foundation
import Hummingbird
import MailpenStore

/// The body of `PUT /inboxes/{inbox}/webhooks`.
struct WebhookListRequest: Decodable, Sendable {
    var webhooks: [WebhookRequest]

    enum CodingKeys: String, CodingKey {
        case webhooks
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        webhooks = try decoder.container(keyedBy: CodingKeys.self).decode([WebhookRequest].self, forKey: .webhooks)
    }
}

/// One webhook as a client sends it. A `secret` left out keeps the secret the same URL already has, so
/// that what `GET` returns (which never shows a secret) can be sent back unchanged; `null` or `""` removes it.
struct WebhookRequest: Decodable, Sendable {
    enum SecretChange: Sendable, Equatable {
        case keep
        case set(String?)
    }

    var url: String
    var events: [String]
    var secret: SecretChange
    var backoff: String?

    enum CodingKeys: String, CodingKey {
        case url, events, secret, backoff
    }

    /// A member it does not know is a 400: a misspelt `secret` would otherwise leave the webhook unsigned.
    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        events = try container.decode([String].self, forKey: .events)
        backoff = try container.decodeIfPresent(String.self, forKey: .backoff)
        if !container.contains(.secret) {
            secret = .keep
        } else if try container.decodeNil(forKey: .secret) {
            secret = .set(nil)
        } else {
            let text = try container.decode(String.self, forKey: .secret)
            secret = .set(text.isEmpty ? nil : text)
        }
    }

    /// The webhook to store, given the inbox's current ones; throws a 400 for an unknown event or backoff.
    func webhook(current: [Webhook]) throws -> Webhook {
        var parsed: [Webhook.Event] = []
        for name in events {
            guard let event = Webhook.Event(rawValue: name) else {
                throw APIError.badRequest("unknown webhook event '\(name)': use stored, deleted or delivery")
            }
            parsed.append(event)
        }
        var backoffMilliseconds = WebhookLimits.defaultBackoff
        if let backoff {
            guard let milliseconds = WebhookBackoff.milliseconds(backoff) else {
                throw APIError.badRequest(
                    "a webhook's backoff is a number with a unit (100ms, 10s, 5m, 1h), not '\(backoff)'")
            }
            backoffMilliseconds = milliseconds
        }
        let secret: String?
        switch self.secret {
        case .keep: secret = current.first { $0.url == url }?.secret
        case .set(let value): secret = value
        }
        return Webhook(url: url, events: parsed, secret: secret, backoffMilliseconds: backoffMilliseconds)
    }
}

/// A webhook as the API shows it: never its secret, only whether it has one and the secret's last four
/// characters, enough to tell which secret is set.
struct WebhookResource: Encodable, Sendable {
    var url: String
    var events: [String]
    var backoff: String
    var backoffMs: Int
    var hasSecret: Bool
    @ExplicitNull var secretHint: String?

    init(_ webhook: Webhook) {
        url = webhook.url
        events = webhook.events.map(\.rawValue)
        backoff = WebhookBackoff.text(webhook.backoffMilliseconds)
        backoffMs = webhook.backoffMilliseconds
        hasSecret = webhook.secret != nil
        secretHint = webhook.secret.map { "…" + String($0.suffix(4)) }
    }
}

struct WebhookListResource: ResponseEncodable, Sendable {
    var webhooks: [WebhookResource]
}

/// A webhook delivery as the API shows it: the event, where it stands, and the attempts kept.
struct WebhookDeliveryResource: Encodable, Sendable {
    struct Attempt: Encodable, Sendable {
        var at: Date
        @ExplicitNull var status: Int?
        @ExplicitNull var error: String?
        var durationMs: Int
    }

    var id: String
    var inbox: String
    var url: String
    var event: String
    var status: String
    var attempts: Int
    @ExplicitNull var lastStatus: Int?
    @ExplicitNull var lastError: String?
    @ExplicitNull var nextAttemptAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var history: [Attempt]

    init(_ delivery: WebhookDelivery) {
        id = delivery.id
        inbox = delivery.inbox
        url = delivery.url
        event = delivery.event.rawValue
        status = delivery.status.rawValue
        attempts = delivery.attempts
        lastStatus = delivery.lastStatusCode
        lastError = delivery.lastError
        nextAttemptAt = delivery.nextAttemptAt
        createdAt = delivery.createdAt
        updatedAt = delivery.updatedAt
        history = delivery.history.map {
            Attempt(at: $0.at, status: $0.statusCode, error: $0.error, durationMs: $0.durationMilliseconds)
        }
    }
}

struct WebhookDeliveryListResource: ResponseEncodable, Sendable {
    var deliveries: [WebhookDeliveryResource]
}

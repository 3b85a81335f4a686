import Foundation
import Hummingbird
import MailpenOutbound
import MailpenRelay
import MailpenStore

/// A delivery as the API shows it: the queue's row with each recipient's fate and every attempt kept.
struct DeliveryResource: ResponseEncodable, Sendable {
    struct Recipient: Encodable, Sendable {
        var address: String
        var status: String
        @ExplicitNull var reply: String?
    }

    struct Attempt: Encodable, Sendable {
        var at: Date
        var outcome: String
        @ExplicitNull var reply: String?
        @ExplicitNull var error: String?
    }

    var id: String
    var messageId: String
    var inbox: String
    var relay: String
    var to: [String]
    var status: String
    var attempts: Int
    @ExplicitNull var lastReply: String?
    @ExplicitNull var lastError: String?
    @ExplicitNull var nextAttemptAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var recipients: [Recipient]
    var history: [Attempt]

    init(_ delivery: Delivery) {
        id = delivery.id
        messageId = delivery.messageID
        inbox = delivery.inbox
        relay = delivery.relay
        to = delivery.to
        status = delivery.status.rawValue
        attempts = delivery.attempts
        lastReply = delivery.lastReply
        lastError = delivery.lastError
        nextAttemptAt = delivery.nextAttemptAt
        createdAt = delivery.createdAt
        updatedAt = delivery.updatedAt
        recipients = delivery.recipients.map {
            Recipient(address: $0.address, status: $0.status.rawValue, reply: $0.reply)
        }
        history = delivery.history.map { Attempt(at: $0.at, outcome: $0.outcome, reply: $0.reply, error: $0.error) }
    }
}

struct DeliveryListResource: ResponseEncodable, Sendable {
    var deliveries: [DeliveryResource]
}

/// A configured relay without its password: where it sends, and to whom it may.
struct RelayResource: ResponseEncodable, Sendable {
    struct Retry: Encodable, Sendable {
        var backoffSeconds: Double
        var maxBackoffSeconds: Double
        var giveUpAfterSeconds: Double
    }

    var name: String
    /// The relay's URL with the password replaced by `***`.
    var url: String
    var host: String
    var port: Int
    var tls: String
    var verify: Bool
    @ExplicitNull var username: String?
    @ExplicitNull var from: String?
    var allow: [String]
    var deny: [String]
    var retry: Retry

    init(_ relay: Relay) {
        let target = relay.target
        name = relay.name
        url = target.description
        host = target.host
        port = target.port
        tls = target.tls.rawValue
        verify = target.verifiesCertificate
        username = target.authentication?.username
        from = target.mailFrom
        allow = target.allowedRecipients
        deny = target.deniedRecipients
        retry = Retry(
            backoffSeconds: Self.seconds(relay.retry.initialDelay),
            maxBackoffSeconds: Self.seconds(relay.retry.maximumDelay),
            giveUpAfterSeconds: Self.seconds(relay.retry.giveUpAfter))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

struct RelayListResource: ResponseEncodable, Sendable {
    var relays: [RelayResource]
}

/// An inbox's auto-relay rule, in requests and responses.
struct AutoRelayRuleResource: Codable, Sendable {
    var relay: String
    var query: String
    var to: [String]?

    enum CodingKeys: String, CodingKey {
        case relay, query, to
    }

    init(_ rule: AutoRelayRule) {
        relay = rule.relay
        query = rule.query
        to = rule.to
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        relay = try container.decode(String.self, forKey: .relay)
        query = try container.decode(String.self, forKey: .query)
        to = try container.decodeIfPresent([String].self, forKey: .to)
    }

    var rule: AutoRelayRule { AutoRelayRule(relay: relay, query: query, to: to) }
}

/// `POST /api/v1/messages/{id}/release`.
struct ReleaseRequest: Decodable, Sendable {
    var relay: String
    var to: [String]?

    enum CodingKeys: String, CodingKey {
        case relay, to
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        relay = try container.decode(String.self, forKey: .relay)
        to = try container.decodeIfPresent([String].self, forKey: .to)
    }
}

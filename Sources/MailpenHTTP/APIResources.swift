import Foundation
import Hummingbird
import MailpenStore

/// A mailbox in API responses.
struct AddressResource: Encodable, Sendable {
    @ExplicitNull var name: String?
    var address: String

    init(_ address: MessageAddress) {
        name = address.name
        self.address = address.address
    }
}

/// Where and how clients reach the SMTP server; shown with every inbox so users can copy their settings.
public struct SMTPAdvertisement: Sendable {
    public var host: String
    public var port: Int
    public var startTLS: Bool
    public var implicitTLSPort: Int?

    public init(host: String, port: Int, startTLS: Bool, implicitTLSPort: Int?) {
        self.host = host
        self.port = port
        self.startTLS = startTLS
        self.implicitTLSPort = implicitTLSPort
    }
}

struct SMTPSettingsResource: Encodable, Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String
    var startTLS: Bool
    @ExplicitNull var implicitTLSPort: Int?
}

/// An inbox in API responses.
struct InboxResource: ResponseEncodable, Sendable {
    var name: String
    var total: Int
    var unread: Int
    @ExplicitNull var maxMessages: Int?
    @ExplicitNull var maxAgeSeconds: Int?
    var routes: [String]
    var createdAt: Date
    var smtp: SMTPSettingsResource

    init(_ inbox: Inbox, smtp: SMTPAdvertisement) {
        name = inbox.name
        total = inbox.total
        unread = inbox.unread
        maxMessages = inbox.maxMessages
        maxAgeSeconds = inbox.maxAgeSeconds
        routes = inbox.routes
        createdAt = inbox.createdAt
        self.smtp = SMTPSettingsResource(
            host: smtp.host, port: smtp.port, username: inbox.smtpUsername, password: inbox.smtpPassword,
            startTLS: smtp.startTLS, implicitTLSPort: smtp.implicitTLSPort)
    }
}

struct InboxListResource: ResponseEncodable, Sendable {
    var inboxes: [InboxResource]
}

/// A message summary in lists, waits and events: never a body.
struct SummaryResource: ResponseEncodable, Sendable {
    var id: String
    var inbox: String
    var receivedAt: Date
    @ExplicitNull var from: AddressResource?
    var to: [AddressResource]
    var cc: [AddressResource]
    var subject: String
    var snippet: String
    var size: Int
    var attachmentCount: Int
    var read: Bool
    var tags: [String]

    init(_ summary: MessageSummary) {
        id = summary.id
        inbox = summary.inbox
        receivedAt = summary.receivedAt
        from = summary.from.map(AddressResource.init)
        to = summary.to.map(AddressResource.init)
        cc = summary.cc.map(AddressResource.init)
        subject = summary.subject
        snippet = summary.snippet
        size = summary.size
        attachmentCount = summary.attachmentCount
        read = summary.isRead
        tags = summary.tags
    }
}

struct MessageListResource: ResponseEncodable, Sendable {
    var total: Int
    var unread: Int
    var offset: Int
    var limit: Int
    var messages: [SummaryResource]

    init(_ page: MessagePage) {
        total = page.total
        unread = page.unread
        offset = page.offset
        limit = page.limit
        messages = page.messages.map(SummaryResource.init)
    }
}

struct WaitResource: ResponseEncodable, Sendable {
    var messages: [SummaryResource]
}

struct DeleteResource: ResponseEncodable, Sendable {
    var deleted: Int
}

/// `POST /api/v1/inboxes`.
struct InboxCreateRequest: Decodable, Sendable {
    var name: String
    var password: String?
    var maxMessages: Int?
    var maxAgeSeconds: Int?
    var routes: [String]?

    enum CodingKeys: String, CodingKey {
        case name, password, maxMessages, maxAgeSeconds, routes
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        password = try container.decodeIfPresent(String.self, forKey: .password)
        maxMessages = try container.decodeIfPresent(Int.self, forKey: .maxMessages)
        maxAgeSeconds = try container.decodeIfPresent(Int.self, forKey: .maxAgeSeconds)
        routes = try container.decodeIfPresent([String].self, forKey: .routes)
    }
}

/// Rejects JSON objects with keys a request type does not know, so that a typo is an error, not a no-op.
enum UnknownKeys {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func reject<Keys: CodingKey>(in decoder: any Decoder, allowed: Keys.Type) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        for key in all.allKeys where Keys(stringValue: key.stringValue) == nil {
            throw APIError.badRequest("unknown field '\(key.stringValue)'")
        }
    }
}

/// `PATCH /api/v1/inboxes/{inbox}`: absent keys stay as they are, `null` resets to the server default.
struct InboxUpdateRequest: Decodable, Sendable {
    var password: String?
    var maxMessages: Int??
    var maxAgeSeconds: Int??
    var routes: [String]?

    enum CodingKeys: String, CodingKey {
        case password, maxMessages, maxAgeSeconds, routes
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        password = try container.decodeIfPresent(String.self, forKey: .password)
        routes = try container.decodeIfPresent([String].self, forKey: .routes)
        maxMessages = try Self.decodeResettable(container, .maxMessages)
        maxAgeSeconds = try Self.decodeResettable(container, .maxAgeSeconds)
    }

    /// Absent: `nil` (leave as is); `null`: `.some(nil)` (reset to the default); a number: `.some(n)`.
    private static func decodeResettable(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int?? {
        guard container.contains(key) else { return nil }
        if try container.decodeNil(forKey: key) { return .some(nil) }
        return .some(try container.decode(Int.self, forKey: key))
    }
}

/// `PATCH /api/v1/messages/{id}`.
struct MessageUpdateRequest: Decodable, Sendable {
    var read: Bool?
    var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case read, tags
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        read = try container.decodeIfPresent(Bool.self, forKey: .read)
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
    }
}

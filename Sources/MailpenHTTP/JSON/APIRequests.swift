import Foundation
import Hummingbird
import MailpenStore

/// `POST /api/v1/inboxes`.
struct InboxCreateRequest: Decodable, Sendable {
    var name: String
    var password: String?
    var maximumMessages: Int?
    var maximumAgeSeconds: Int?
    var routes: [String]?

    enum CodingKeys: String, CodingKey {
        case name, password, routes
        case maximumMessages = "maxMessages"
        case maximumAgeSeconds = "maxAgeSeconds"
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        password = try container.decodeIfPresent(String.self, forKey: .password)
        maximumMessages = try container.decodeIfPresent(Int.self, forKey: .maximumMessages)
        maximumAgeSeconds = try container.decodeIfPresent(Int.self, forKey: .maximumAgeSeconds)
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
    var maximumMessages: Int??
    var maximumAgeSeconds: Int??
    var routes: [String]?
    var autoRelay: [AutoRelayRuleResource]?

    enum CodingKeys: String, CodingKey {
        case password, routes, autoRelay
        case maximumMessages = "maxMessages"
        case maximumAgeSeconds = "maxAgeSeconds"
    }

    init(from decoder: any Decoder) throws {
        try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        password = try container.decodeIfPresent(String.self, forKey: .password)
        routes = try container.decodeIfPresent([String].self, forKey: .routes)
        autoRelay = try container.decodeIfPresent([AutoRelayRuleResource].self, forKey: .autoRelay)
        maximumMessages = try Self.decodeResettable(container, .maximumMessages)
        maximumAgeSeconds = try Self.decodeResettable(container, .maximumAgeSeconds)
    }

    /// Absent: `nil` (leave as is); `null`: `.some(nil)` (reset to the default); a number: `.some(n)`.
    private static func decodeResettable(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws
        -> Int??
    {
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

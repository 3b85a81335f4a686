import Foundation

/// A virtual inbox: one per project. The SMTP username of a client picks it.
public struct Inbox: Sendable, Hashable, Codable {
    /// The inbox's name, also its SMTP username.
    public var name: String
    /// The SMTP username that routes mail here.
    public var smtpUsername: String
    /// The SMTP password checked in strict AUTH mode.
    public var smtpPassword: String
    /// Most messages kept; older ones are pruned. `nil` uses the server's default.
    public var maximumMessages: Int?
    /// Age in seconds after which messages are pruned. `nil` uses the server's default.
    public var maximumAgeSeconds: Int?
    /// Recipient patterns (`*@shop.example`) that route mail sent without AUTH here.
    public var routes: [String]
    /// When the inbox was created.
    public var createdAt: Date
    /// How many messages it holds.
    public var total: Int
    /// How many of them are unread.
    public var unread: Int

    enum CodingKeys: String, CodingKey {
        case name, smtpUsername, smtpPassword, routes, createdAt, total, unread
        case maximumMessages = "maxMessages"
        case maximumAgeSeconds = "maxAgeSeconds"
    }

    public init(
        name: String, smtpUsername: String, smtpPassword: String, maximumMessages: Int? = nil,
        maximumAgeSeconds: Int? = nil,
        routes: [String] = [], createdAt: Date, total: Int = 0, unread: Int = 0
    ) {
        self.routes = routes
        self.name = name
        self.smtpUsername = smtpUsername
        self.smtpPassword = smtpPassword
        self.maximumMessages = maximumMessages
        self.maximumAgeSeconds = maximumAgeSeconds
        self.createdAt = createdAt
        self.total = total
        self.unread = unread
    }

    /// A random SMTP password for a new inbox: 20 characters without look-alikes.
    public static func makePassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// The inbox that always exists and receives unauthenticated mail.
    public static let defaultName = "default"

    /// Whether `name` may name an inbox: 1–64 characters of letters, digits and `._@+-`, starting with a
    /// letter or digit (so it fits in a URL path segment and an SMTP username).
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 64 else { return false }
        // Checked for every message stored: ranges, not a CharacterSet look-up, which costs thousands of
        // instructions a name.
        func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        return isAlphanumeric(first)
            && name.unicodeScalars.allSatisfy { isAlphanumeric($0) || "._@+-".unicodeScalars.contains($0) }
    }
}

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
    public var maxMessages: Int?
    /// Age in seconds after which messages are pruned. `nil` uses the server's default.
    public var maxAgeSeconds: Int?
    /// Recipient patterns (`*@shop.example`) that route mail sent without AUTH here.
    public var routes: [String]
    /// When the inbox was created.
    public var createdAt: Date
    /// How many messages it holds.
    public var total: Int
    /// How many of them are unread.
    public var unread: Int

    public init(
        name: String, smtpUsername: String, smtpPassword: String, maxMessages: Int? = nil, maxAgeSeconds: Int? = nil,
        routes: [String] = [], createdAt: Date, total: Int = 0, unread: Int = 0
    ) {
        self.routes = routes
        self.name = name
        self.smtpUsername = smtpUsername
        self.smtpPassword = smtpPassword
        self.maxMessages = maxMessages
        self.maxAgeSeconds = maxAgeSeconds
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
        func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar))
        }
        return isAlphanumeric(first)
            && name.unicodeScalars.allSatisfy { isAlphanumeric($0) || "._@+-".unicodeScalars.contains($0) }
    }
}

/// A mailbox as shown in lists: display name and address.
public struct MessageAddress: Sendable, Hashable, Codable {
    public var name: String?
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }
}

/// How a message reached Mailpen, beside its bytes: the SMTP envelope and session facts.
///
/// The store's own type, so that the store does not depend on the SMTP module.
public struct MessageEnvelope: Sendable, Hashable, Codable {
    /// Where the message came from.
    public enum Source: String, Sendable, Codable {
        case smtp
        case http
    }

    /// An ESMTP parameter, keyword upper-cased.
    public struct Parameter: Sendable, Hashable, Codable {
        public var keyword: String
        public var value: String?

        public init(keyword: String, value: String?) {
            self.keyword = keyword
            self.value = value
        }
    }

    /// One RCPT TO with its parameters.
    public struct Recipient: Sendable, Hashable, Codable {
        public var address: String
        public var parameters: [Parameter]

        public init(address: String, parameters: [Parameter] = []) {
            self.address = address
            self.parameters = parameters
        }
    }

    public var source: Source
    public var mailFrom: String
    public var mailParameters: [Parameter]
    public var recipients: [Recipient]
    public var heloName: String?
    public var usedExtendedHello: Bool?
    public var clientAddress: String?
    public var clientPort: Int?
    public var tlsVersion: String?
    public var authenticatedUser: String?

    public init(
        source: Source,
        mailFrom: String,
        mailParameters: [Parameter] = [],
        recipients: [Recipient],
        heloName: String? = nil,
        usedExtendedHello: Bool? = nil,
        clientAddress: String? = nil,
        clientPort: Int? = nil,
        tlsVersion: String? = nil,
        authenticatedUser: String? = nil
    ) {
        self.source = source
        self.mailFrom = mailFrom
        self.mailParameters = mailParameters
        self.recipients = recipients
        self.heloName = heloName
        self.usedExtendedHello = usedExtendedHello
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.tlsVersion = tlsVersion
        self.authenticatedUser = authenticatedUser
    }
}

/// A message to store: its raw bytes exactly as received, its envelope and the inbox it goes to.
public struct IncomingMessage: Sendable {
    /// What happens when the message's inbox does not exist.
    public enum InboxCreation: Sendable, Equatable {
        /// The message is refused.
        case never
        /// The inbox is created with a random password, made only then (SMTP AUTH in `any` mode never
        /// learns the client's password, and most messages go to inboxes that exist).
        case withGeneratedPassword
        /// The inbox is created with this password.
        case withPassword(String)

        /// The password for a new inbox, generated now if it is to be; `nil` when none may be created.
        func password() -> String? {
            switch self {
            case .never: return nil
            case .withGeneratedPassword: return Inbox.makePassword()
            case .withPassword(let password): return password
            }
        }
    }

    public var inbox: String
    public var raw: [UInt8]
    public var envelope: MessageEnvelope
    /// Whether a missing inbox is created rather than the message refused.
    public var inboxCreation: InboxCreation
    /// Whether an inbox route matching a recipient overrides `inbox` (for mail sent without AUTH).
    public var routesByRecipient: Bool

    public init(
        inbox: String, raw: [UInt8], envelope: MessageEnvelope, inboxCreation: InboxCreation = .never,
        routesByRecipient: Bool = false
    ) {
        self.inbox = inbox
        self.raw = raw
        self.envelope = envelope
        self.inboxCreation = inboxCreation
        self.routesByRecipient = routesByRecipient
    }
}

/// The compact view of a stored message that lists, events and waits return: never the body.
public struct MessageSummary: Sendable, Hashable, Codable {
    public var id: String
    public var inbox: String
    public var receivedAt: Date
    public var from: MessageAddress?
    public var to: [MessageAddress]
    public var cc: [MessageAddress]
    public var subject: String
    public var snippet: String
    public var size: Int
    public var attachmentCount: Int
    public var isRead: Bool
    public var tags: [String]

    public init(
        id: String, inbox: String, receivedAt: Date, from: MessageAddress?, to: [MessageAddress], cc: [MessageAddress],
        subject: String, snippet: String, size: Int, attachmentCount: Int, isRead: Bool, tags: [String]
    ) {
        self.id = id
        self.inbox = inbox
        self.receivedAt = receivedAt
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.snippet = snippet
        self.size = size
        self.attachmentCount = attachmentCount
        self.isRead = isRead
        self.tags = tags
    }
}

/// Why a store operation failed.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case inboxNotFound(String)
    case inboxExists(String)
    case invalidInboxName(String)
    case cannotDeleteDefaultInbox
    case messageNotFound(String)
    case invalidRoute(String)
    case invalidTag(String)
    case tooManyRoutes(Int)
    case tooManyTags(Int)
    case timedOut
    case cannotOpen(path: String, reason: String)
    case closed

    public var description: String {
        switch self {
        case .inboxNotFound(let name): return "inbox '\(name)' does not exist"
        case .inboxExists(let name): return "inbox '\(name)' already exists"
        case .invalidInboxName(let name):
            return "'\(name)' is not a valid inbox name (1-64 letters, digits and ._@+-, starting with a letter or digit)"
        case .cannotDeleteDefaultInbox: return "the default inbox cannot be deleted"
        case .messageNotFound(let id): return "message '\(id)' does not exist"
        case .invalidRoute(let route):
            return "'\(route)' is not a valid route (a recipient pattern of 1-\(StoreLimits.maximumRouteLength) characters without spaces or control characters)"
        case .invalidTag(let tag):
            return "'\(tag)' is not a valid tag (1-\(StoreLimits.maximumTagLength) characters, no control characters)"
        case .tooManyRoutes(let count):
            return "an inbox has at most \(StoreLimits.maximumRoutesPerInbox) routes, not \(count)"
        case .tooManyTags(let count):
            return "a message has at most \(StoreLimits.maximumTagsPerMessage) tags, not \(count)"
        case .timedOut: return "timed out waiting for messages"
        case .cannotOpen(let path, let reason): return "cannot open the database \(path): \(reason)"
        case .closed: return "the store is closed"
        }
    }
}

/// Bounds on what one request may ask the store to keep, so that no single call can make an inbox or a
/// message arbitrarily expensive to load, route or search.
public enum StoreLimits {
    /// Recipient routes per inbox; each is tried against every unauthenticated message's recipients.
    public static let maximumRoutesPerInbox = 256
    /// Characters in one route pattern.
    public static let maximumRouteLength = 256
    /// Tags per message.
    public static let maximumTagsPerMessage = 64
    /// Characters (Unicode scalars) in one tag.
    public static let maximumTagLength = 128
}

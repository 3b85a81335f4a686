import Foundation

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
        package func password() -> String? {
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

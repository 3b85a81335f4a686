import Foundation

/// An inbox as a mail client (POP3, IMAP) reads it: its messages oldest first, each with a number that
/// grows with every message stored anywhere and is never reused, so a client can tell old mail from new.
public struct Mailbox: Sendable, Hashable {
    /// The inbox's canonical name.
    public var inbox: String
    /// Changes only when the inbox is made anew (deleted and created again, or a new database): IMAP's
    /// UIDVALIDITY, never 0.
    public var uidValidity: UInt32
    /// The messages in UID order.
    public var messages: [MailboxMessage]

    public init(inbox: String, uidValidity: UInt32, messages: [MailboxMessage]) {
        self.inbox = inbox
        self.uidValidity = uidValidity
        self.messages = messages
    }
}

/// One message of a ``Mailbox``: what a mail client's listing shows, never the body.
public struct MailboxMessage: Sendable, Hashable {
    /// Increases with every message the store keeps and is never given to another message.
    public var uid: Int64
    public var id: String
    /// The raw message's size in octets.
    public var size: Int
    public var receivedAt: Date
    public var isRead: Bool
    public var tags: [String]

    public init(uid: Int64, id: String, size: Int, receivedAt: Date, isRead: Bool, tags: [String]) {
        self.uid = uid
        self.id = id
        self.size = size
        self.receivedAt = receivedAt
        self.isRead = isRead
        self.tags = tags
    }
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One message of the inbox as the caller lists it for SELECT, EXAMINE and STATUS.
public struct IMAPMessageInfo: Sendable, Hashable {
    /// The IMAP UID: Mailpen's row number, which grows with every message and is never reused.
    public var uid: UInt32
    /// Mailpen's message id, used in every request the session makes about the message.
    public var id: String
    /// The size the session reports as RFC822.SIZE until it has the message's bytes; it should be
    /// ``IMAPMessageContent/servedSize(of:)`` of the raw message (the raw size for mail with CRLF lines).
    public var size: Int
    /// When Mailpen received the message (INTERNALDATE, shown in UTC).
    public var internalDate: Date
    /// Mailpen's read flag, shown and set as `\Seen`.
    public var isRead: Bool
    /// Keywords shown in FLAGS (Mailpen's tags, say); names that are not IMAP atoms are left out. Changes
    /// a client makes to keywords stay in its session.
    public var keywords: [String]

    public init(uid: UInt32, id: String, size: Int, internalDate: Date, isRead: Bool, keywords: [String] = []) {
        self.uid = uid
        self.id = id
        self.size = size
        self.internalDate = internalDate
        self.isRead = isRead
        self.keywords = keywords
    }
}

/// The inbox as the caller sees it when the session selects it or asks for its status.
public struct IMAPMailboxSnapshot: Sendable, Hashable {
    /// UIDVALIDITY: must change if UIDs were ever reused (a store rebuilt from scratch), else stay put.
    public var uidValidity: UInt32
    /// The UID the next message will get; at least one above the largest UID listed.
    public var uidNext: UInt32
    /// The messages in UID order (the session sorts them if they are not).
    public var messages: [IMAPMessageInfo]

    public init(uidValidity: UInt32, uidNext: UInt32, messages: [IMAPMessageInfo]) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.messages = messages
    }
}

/// A change to the selected inbox made elsewhere (SMTP delivery, the web UI, the API, retention), fed to
/// ``IMAPSessionStateMachine/mailboxChanged(_:)`` from the store's change feed.
public enum IMAPMailboxChange: Sendable, Hashable {
    /// New messages (their UIDs above every UID the session has seen).
    case added([IMAPMessageInfo])
    /// Messages deleted, by id.
    case removed([String])
    /// A message's read flag changed.
    case readChanged(id: String, isRead: Bool)
}

/// A message in the session's view of the selected mailbox: the caller's facts and the flags that live
/// only in this session.
struct IMAPSessionMessage: Sendable, Hashable {
    var info: IMAPMessageInfo
    /// \Answered, \Flagged, \Deleted, \Draft and keywords: kept in the session only (Mailpen stores no such
    /// flags), so they are gone when the client reconnects.
    var sessionFlags: Set<IMAPFlag>
    /// Deleted by someone else; the EXPUNGE waits until RFC 3501 §7.4.1 allows it.
    var isGone = false
    /// Its flags changed elsewhere and the client has not been told.
    var flagsChanged = false

    init(_ info: IMAPMessageInfo) {
        self.info = info
        sessionFlags = Set(info.keywords.filter(IMAPSessionMessage.isKeyword).map(IMAPFlag.init))
    }

    static func isKeyword(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix("\\")
            && name.utf8.allSatisfy(IMAPParseBuffer.isAtomChar)
    }

    func has(_ flag: IMAPFlag) -> Bool {
        flag == .seen ? info.isRead : sessionFlags.contains(flag)
    }

    /// The flags in the order Dovecot writes them: system flags, then keywords sorted.
    var flags: [IMAPFlag] {
        var out: [IMAPFlag] = []
        for flag in [IMAPFlag.answered, .flagged, .deleted, .seen, .draft] where has(flag) { out.append(flag) }
        out += sessionFlags.filter { !$0.name.hasPrefix("\\") }.sorted { $0.name < $1.name }
        return out
    }

    var flagList: String { "(" + flags.map(\.name).joined(separator: " ") + ")" }
}

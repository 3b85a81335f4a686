/// One message of a POP3 maildrop as the caller lists it when it opens the maildrop.
public struct POP3MaildropMessage: Sendable, Hashable {
    /// Mailpen's message id; it is also the message's UIDL (RFC 1939 §7 asks for 1–70 printable ASCII
    /// characters, which Mailpen's ids are).
    public var id: String
    /// The size in octets reported by STAT, LIST and RETR.
    public var size: Int

    public init(id: String, size: Int) {
        self.id = id
        self.size = size
    }
}

/// What happens to the messages a client deleted when it QUITs: Mailpen's inboxes are shared with the web
/// UI and the API, so a POP3 "delete" may only mark the messages read.
public enum POP3DeletionMode: Sendable, Hashable {
    /// Delete the messages from the inbox.
    case delete
    /// Keep the messages and mark them read.
    case markRead
}

/// The UPDATE state's work (RFC 1939 §6), handed to the caller by ``POP3SessionStateMachine/Action/update(_:)``.
public struct POP3Update: Sendable, Hashable {
    /// Ids of the messages marked deleted, in maildrop order.
    public var messageIDs: [String]
    /// Whether to delete them or mark them read.
    public var mode: POP3DeletionMode

    public init(messageIDs: [String], mode: POP3DeletionMode) {
        self.messageIDs = messageIDs
        self.mode = mode
    }
}

/// How opening the maildrop after a successful login went.
public enum POP3MaildropResult: Sendable, Hashable {
    /// The maildrop is open and locked for this session: its messages, oldest first (numbered from 1).
    case opened([POP3MaildropMessage])
    /// Another session holds the maildrop (answered with `-ERR [IN-USE]`, RFC 2449 §8.1.1).
    case locked
    /// The maildrop could not be opened (answered with `-ERR [SYS/TEMP]`, RFC 3206).
    case failed
}

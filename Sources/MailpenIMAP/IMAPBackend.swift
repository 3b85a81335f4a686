import MailpenIMAPCore

/// What an IMAP session needs from Mailpen's inboxes: the server's handlers call it, Mailpen implements it
/// over its store, so this target knows nothing of storage.
public protocol IMAPBackend: Sendable {
    /// Whether the client may log in with these credentials; throws when they cannot be checked now.
    func authenticate(_ credentials: IMAPCredentials) async throws -> Bool
    /// Starts watching the user's inbox for one session. From now on `deliver` is called, one call at a
    /// time and in order, with each snapshot the session asks for and with every change made after that
    /// snapshot was taken, until the watch is cancelled.
    func watchMailbox(username: String, deliver: @escaping @Sendable (IMAPMailboxEvent) -> Void)
        -> any IMAPMailboxWatch
    /// The raw bytes of those messages that still exist, by id.
    func loadMessages(ids: [String]) async -> [String: [UInt8]]
    /// The ids of the inbox's messages matching each query (Mailpen's search grammar, as `?q=` reads it), in
    /// the order of the queries; nil when they cannot be answered (the session then evaluates SEARCH itself).
    func search(inbox: String, queries: [String]) async -> [[String]]?
    /// Sets the read flag of the messages; whether that worked.
    func setRead(ids: [String], isRead: Bool) async -> Bool
    /// Deletes the messages (ids already gone count as deleted); whether that worked.
    func deleteMessages(ids: [String]) async -> Bool
}

/// A session's watch over its inbox, from ``IMAPBackend/watchMailbox(username:deliver:)``.
public protocol IMAPMailboxWatch: Sendable {
    /// Asks for a ``IMAPMailboxEvent/snapshot(_:)`` of the inbox, delivered after the changes before it.
    func requestSnapshot()
    /// Ends the watch: nothing more is delivered.
    func cancel()
}

/// What a mailbox watch delivers.
public enum IMAPMailboxEvent: Sendable, Hashable {
    /// The inbox as it is now; nil when it cannot be read (it does not exist, or the store failed).
    case snapshot(IMAPMailboxSnapshot?)
    /// A change made after the last snapshot.
    case changed(IMAPMailboxChange)
}

import MailpenPOP3Core

/// What a POP3 session needs from Mailpen's inboxes: the server's handlers call it, Mailpen implements it
/// over its store, so this target knows nothing of storage.
public protocol POP3Backend: Sendable {
    /// Whether the client may log in with these credentials; throws when they cannot be checked now.
    func authenticate(_ credentials: POP3Credentials) async throws -> Bool
    /// Locks the user's inbox for this session and lists it, oldest first; `.locked` when another
    /// session holds it. An opened maildrop stays locked until ``closeMaildrop(username:)``.
    func openMaildrop(username: String) async -> POP3MaildropResult
    /// Releases the lock ``openMaildrop(username:)`` took, at once, so that a client reconnecting right
    /// after QUIT finds its inbox free.
    func closeMaildrop(username: String)
    /// A message's raw bytes; nil when it has gone.
    func loadMessage(id: String) async -> [UInt8]?
    /// Deletes or marks read the messages of a QUIT; whether that worked.
    func update(_ update: POP3Update) async -> Bool
}

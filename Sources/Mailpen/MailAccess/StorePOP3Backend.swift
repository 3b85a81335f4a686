import Logging
import MailpenPOP3
import MailpenPOP3Core
import MailpenSASL
import MailpenStore

/// Serves the store's inboxes to POP3 sessions: logins as for SMTP, one session per inbox at a time in
/// this process, and a QUIT's deletions carried out as deletions or as read flags.
struct StorePOP3Backend: POP3Backend {
    let store: any MailpenStore
    let authentication: InboxAuthentication
    let locks = MaildropLocks()
    let logger: Logger

    func authenticate(_ credentials: POP3Credentials) async throws -> Bool {
        try await authentication.authenticate(
            username: credentials.username, password: credentials.password,
            authorizationIdentity: credentials.authorizationIdentity, mechanism: "POP3")
    }

    func openMaildrop(username: String) async -> POP3MaildropResult {
        guard locks.lock(username) else { return .locked }
        do {
            guard let mailbox = try await store.mailbox(named: username, afterUID: 0) else {
                locks.unlock(username)
                return .failed
            }
            return .opened(mailbox.messages.map { POP3MaildropMessage(id: $0.id, size: $0.size) })
        } catch {
            logger.error("POP3 could not list inbox \(username): \(error)")
            locks.unlock(username)
            return .failed
        }
    }

    func closeMaildrop(username: String) {
        locks.unlock(username)
    }

    func loadMessage(id: String) async -> [UInt8]? {
        do {
            return try await store.rawMessage(id: id)
        } catch {
            logger.error("POP3 could not read message \(id): \(error)")
            return nil
        }
    }

    func update(_ update: POP3Update) async -> Bool {
        switch update.mode {
        case .delete:
            return await MessageChanges(store: store, logger: logger).delete(ids: update.messageIDs)
        case .markRead:
            return await MessageChanges(store: store, logger: logger).setRead(ids: update.messageIDs, true)
        }
    }
}

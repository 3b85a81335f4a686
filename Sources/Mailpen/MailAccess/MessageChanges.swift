import Logging
import MailpenStore

/// Deletions and read flags for a list of messages, as POP3's QUIT and IMAP's EXPUNGE and STORE make them:
/// a message that has gone meanwhile counts as done.
struct MessageChanges {
    let store: any MailpenStore
    let logger: Logger

    func delete(ids: [String]) async -> Bool {
        for id in ids {
            do {
                try await store.deleteMessage(id: id)
            } catch StoreError.messageNotFound {
                continue
            } catch {
                logger.error("could not delete message \(id): \(error)")
                return false
            }
        }
        return true
    }

    func setRead(ids: [String], _ isRead: Bool) async -> Bool {
        for id in ids {
            do {
                try await store.setRead(id: id, isRead)
            } catch StoreError.messageNotFound {
                continue
            } catch {
                logger.error("could not mark message \(id) read: \(error)")
                return false
            }
        }
        return true
    }
}

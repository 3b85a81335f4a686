import Foundation
import Logging
import MailpenIMAP
import MailpenIMAPCore
import MailpenSASL
import MailpenStore

/// Serves the store's inboxes to IMAP sessions: logins as for SMTP, the inbox's listing and changes from
/// the shared ``MailboxWatcher``, and message bytes, read flags and deletions from the store.
struct StoreIMAPBackend: IMAPBackend {
    let store: any MailpenStore
    let authentication: InboxAuthentication
    let watcher: MailboxWatcher
    let logger: Logger

    func authenticate(_ credentials: IMAPCredentials) async throws -> Bool {
        try await authentication.authenticate(
            username: credentials.username, password: credentials.password,
            authorizationIdentity: credentials.authorizationIdentity, mechanism: "IMAP")
    }

    func watchMailbox(username: String, deliver: @escaping @Sendable (IMAPMailboxEvent) -> Void)
        -> any IMAPMailboxWatch
    {
        let id = watcher.watch(inbox: username) { update in
            if let event = Self.event(for: update) { deliver(event) }
        }
        return WatcherWatch(watcher: watcher, id: id)
    }

    func loadMessages(ids: [String]) async -> [String: [UInt8]] {
        var messages: [String: [UInt8]] = [:]
        for id in ids {
            do {
                if let raw = try await store.rawMessage(id: id) { messages[id] = raw }
            } catch {
                logger.error("IMAP could not read message \(id): \(error)")
            }
        }
        return messages
    }

    func search(inbox: String, queries: [String]) async -> [[String]]? {
        await MailboxSearch(store: store, logger: logger).matchingIDs(inbox: inbox, queries: queries)
    }

    func setRead(ids: [String], isRead: Bool) async -> Bool {
        await MessageChanges(store: store, logger: logger).setRead(ids: ids, isRead)
    }

    func deleteMessages(ids: [String]) async -> Bool {
        await MessageChanges(store: store, logger: logger).delete(ids: ids)
    }

    /// The session's form of a watcher update. UIDs past 32 bits cannot be shown to IMAP and are left out.
    static func event(for update: MailboxUpdate) -> IMAPMailboxEvent? {
        switch update {
        case .snapshot(let mailbox, let uidNext):
            guard let mailbox else { return .snapshot(nil) }
            return .snapshot(
                IMAPMailboxSnapshot(
                    uidValidity: mailbox.uidValidity, uidNext: UInt32(clamping: uidNext),
                    messages: mailbox.messages.compactMap(info)))
        case .added(let messages):
            let infos = messages.compactMap(info)
            return infos.isEmpty ? nil : .changed(.added(infos))
        case .removed(let ids):
            return .changed(.removed(ids))
        case .readChanged(let id, let isRead):
            return .changed(.readChanged(id: id, isRead: isRead))
        }
    }

    static func info(_ message: MailboxMessage) -> IMAPMessageInfo? {
        guard let uid = UInt32(exactly: message.uid) else { return nil }
        return IMAPMessageInfo(
            uid: uid, id: message.id, size: message.size, internalDate: message.receivedAt, isRead: message.isRead,
            keywords: message.tags)
    }
}

/// A session's watch, ended when the session closes.
private struct WatcherWatch: IMAPMailboxWatch {
    let watcher: MailboxWatcher
    let id: Int

    func requestSnapshot() { watcher.requestSnapshot(id) }
    func cancel() { watcher.cancel(id) }
}

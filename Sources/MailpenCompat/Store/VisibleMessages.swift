import Foundation
import MailpenStore

/// The messages a compatibility client sees: one inbox, or every inbox as one mailbox (Mailpit and MailHog
/// have a single mailbox). Lists across inboxes merge each inbox's first `start + limit` matches by id,
/// which sorts by arrival across inboxes; a client that sees one inbox is paged by the store directly.
struct VisibleMessages: Sendable {
    let store: any MailpenStore
    let access: InboxAccess

    /// The deepest window a list across several inboxes may reach (`start + limit`): each inbox reads that
    /// many summaries to merge them.
    static let maximumMergedWindow = 10_000

    /// A page of the merged mailbox with the totals of every match.
    struct Page: Sendable {
        var total: Int
        var unread: Int
        var messages: [MessageSummary]
    }

    /// Why a request for messages cannot be answered.
    enum Failure: Error, Equatable {
        case windowTooDeep(Int)

        /// The reason, as the compatibility APIs answer it (a 400).
        var reason: String {
            switch self {
            case .windowTooDeep(let window): "start + limit can be at most \(window) when listing several inboxes"
            }
        }
    }

    /// The visible inboxes, `default` first, then by name.
    func inboxes() async throws -> [Inbox] {
        switch access {
        case .everyInbox:
            return try await store.inboxes()
        case .inbox(let name):
            guard let inbox = try await store.inbox(named: name) else { return [] }
            return [inbox]
        }
    }

    /// Messages of every visible inbox and their unread ones.
    func totals() async throws -> (total: Int, unread: Int) {
        try await inboxes().reduce(into: (0, 0)) { totals, inbox in
            totals.0 += inbox.total
            totals.1 += inbox.unread
        }
    }

    /// Newest first, `limit` messages from `start` of those matching `search`.
    func page(_ search: SearchQuery, start: Int, limit: Int) async throws -> Page {
        let inboxes = try await inboxes()
        // An inbox without mail has nothing to list or find.
        let candidates = inboxes.filter { $0.total > 0 }
        if candidates.count <= 1 {
            guard let inbox = candidates.first else { return Page(total: 0, unread: 0, messages: []) }
            let page = try await store.messages(
                MessageQuery(inbox: inbox.name, search: search), limit: limit, offset: start)
            return Page(total: page.total, unread: page.unread, messages: page.messages)
        }
        let (window, overflow) = start.addingReportingOverflow(limit)
        guard !overflow, window <= Self.maximumMergedWindow else {
            throw Failure.windowTooDeep(Self.maximumMergedWindow)
        }
        var total = 0
        var unread = 0
        var merged: [MessageSummary] = []
        for inbox in candidates {
            let page = try await store.messages(
                MessageQuery(inbox: inbox.name, search: search), limit: window, offset: 0)
            total += page.total
            unread += page.unread
            merged += page.messages
        }
        merged.sort { $0.id > $1.id }
        let slice = start < merged.count ? Array(merged[start..<min(merged.count, window)]) : []
        return Page(total: total, unread: unread, messages: slice)
    }

    /// Every id matching `search` in the visible inboxes, newest first (for changes that name no ids).
    func allIDs(_ search: SearchQuery) async throws -> [String] {
        var ids: [String] = []
        for inbox in try await inboxes() where inbox.total > 0 {
            var offset = 0
            while true {
                let page = try await store.messages(
                    MessageQuery(inbox: inbox.name, search: search), limit: 1000, offset: offset)
                ids += page.messages.map(\.id)
                offset += page.messages.count
                if page.messages.isEmpty || offset >= page.total { break }
            }
        }
        return ids
    }

    /// The newest message matching `search`, if any.
    func latest(_ search: SearchQuery) async throws -> MessageSummary? {
        var newest: MessageSummary?
        for inbox in try await inboxes() where inbox.total > 0 {
            let page = try await store.messages(MessageQuery(inbox: inbox.name, search: search), limit: 1, offset: 0)
            if let first = page.messages.first, first.id > (newest?.id ?? "") { newest = first }
        }
        return newest
    }

    /// A message's summary, if it exists and is visible.
    func summary(id: String) async throws -> MessageSummary? {
        guard let summary = try await store.summary(id: id), access.allows(inbox: summary.inbox) else { return nil }
        return summary
    }

    /// A message with its envelope and bytes, if it exists and is visible.
    func message(id: String) async throws -> StoredMessage? {
        guard let stored = try await store.message(id: id), access.allows(inbox: stored.summary.inbox) else {
            return nil
        }
        return stored
    }

    /// Deletes the visible messages matching `search` (all of them for an empty search); returns how many.
    @discardableResult
    func delete(_ search: SearchQuery) async throws -> Int {
        var deleted = 0
        for inbox in try await inboxes() where inbox.total > 0 {
            deleted += try await store.deleteMessages(MessageQuery(inbox: inbox.name, search: search))
        }
        return deleted
    }

    /// Deletes the visible messages among `ids`; unknown and invisible ids are skipped.
    func delete(ids: [String]) async throws {
        for id in Set(ids) where try await summary(id: id) != nil {
            do {
                try await store.deleteMessage(id: id)
            } catch StoreError.messageNotFound {
                continue
            }
        }
    }

    /// Changes the read flag and/or tags of the visible messages among `ids`, a few at a time so that the
    /// store can commit them together; unknown and invisible ids are skipped.
    func update(ids: [String], isRead: Bool?, tags: [String]?) async throws {
        let unique = Array(Set(ids))
        let store = self.store
        let access = self.access
        for start in stride(from: 0, to: unique.count, by: 32) {
            let chunk = unique[start..<min(start + 32, unique.count)]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in chunk {
                    group.addTask {
                        guard let summary = try await store.summary(id: id), access.allows(inbox: summary.inbox) else {
                            return
                        }
                        if let isRead, tags == nil, summary.isRead == isRead { return }
                        do {
                            _ = try await store.update(id: id, isRead: isRead, tags: tags)
                        } catch StoreError.messageNotFound {
                            return
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Every tag on the visible messages with how many carry it; tags that differ only in case are one.
    func tagCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        var spelling: [String: String] = [:]
        for inbox in try await inboxes() where inbox.total > 0 {
            for (tag, count) in try await store.tagCounts(inInbox: inbox.name) {
                let key = tag.lowercased()
                let name = spelling[key] ?? tag
                spelling[key] = name
                counts[name, default: 0] += count
            }
        }
        return counts
    }
}

import GRDB

/// Which rows belong to an inbox and which of those are unread, as bitmaps. Every full-text search of
/// the inbox intersects its matches with them to get its page, total and unread count; reading them
/// takes one pass over an index entry per stored message, longer than the search itself, so they are
/// kept (``MembershipCache``) until the next commit.
struct InboxMembership: Sendable {
    var members: RowSet
    var unread: RowSet
    /// The columns size, date and attachment terms test, once a search has needed them.
    var columns: InboxColumns? = nil

    /// Reads the inbox's rows in one pass over the narrow membership index.
    static func load(inboxID: Int64, largest: Int64, in db: Database) throws -> InboxMembership {
        var membership = InboxMembership(members: RowSet(largest: largest), unread: RowSet(largest: largest))
        var scan = RawStatement(
            try db.cachedStatement(
                sql: "SELECT seq, is_read FROM message INDEXED BY message_membership WHERE inbox_id = ?"))
        scan.bind(inboxID)
        try scan.forEachRow(in: db) {
            let row = scan.int64(at: 0)
            membership.members.insert(row)
            if scan.int64(at: 1) == 0 { membership.unread.insert(row) }
        }
        return membership
    }
}

/// The memberships of recently searched inboxes, each valid while no transaction has been committed since
/// it was read (see ``CommitCounter``). Keyed by lower-cased inbox name; each bitmap takes a bit per row id
/// ever given out, 12.5 KB per 100k.
actor MembershipCache {
    /// One inbox's membership and the commit count it was read at.
    private struct Entry {
        var generation: UInt64
        var inboxID: Int64
        var membership: InboxMembership
    }

    private var entries: [String: Entry] = [:]
    /// The newest generation remembered: older entries can never be used again.
    private var newestGeneration: UInt64 = 0
    private static let maximumEntries = 16

    /// The inbox's membership if it was read at `generation`.
    func membership(of inbox: String, at generation: UInt64) -> (inboxID: Int64, membership: InboxMembership)? {
        guard let entry = entries[inbox.lowercased()], entry.generation == generation else { return nil }
        return (entry.inboxID, entry.membership)
    }

    func remember(_ membership: InboxMembership, of inbox: String, inboxID: Int64, at generation: UInt64) {
        guard generation >= newestGeneration else { return }  // Read before a commit another search has seen.
        newestGeneration = generation
        entries = entries.filter { $0.value.generation == generation }
        if entries.count >= Self.maximumEntries { entries.removeAll() }
        entries[inbox.lowercased()] = Entry(generation: generation, inboxID: inboxID, membership: membership)
    }
}

import Logging
import MailpenStore
import PostgresNIO

/// An inbox's rows and which of them are unread, as every search with terms intersects its matches with
/// them. Reading them takes a pass over an index entry per message (20–35 ms at 100k), longer than the
/// rest of a search, so this node keeps them (``InboxMembersCache``) and brings them up to date with the
/// mail committed since, as it does a term's rows. That is enough while only new mail came: the inbox's
/// counters, changed in the same transactions as its messages, then equal the kept sets' sizes plus the
/// new mail, and its count of read flags changed is the same. After a deletion or a flag change they are
/// read again.
struct InboxMembers: Sendable {
    var members: RowSet
    var unread: RowSet
    /// Where they were read, and the snapshot's largest row id.
    var mark: ReadMark
    var through: Int64
    var flagChanges: Int64

    /// The inbox as the search's snapshot shows it: its counters.
    struct Inbox: Sendable {
        var id: Int64
        var messageCount: Int64
        var unreadCount: Int64
        var flagChanges: Int64
    }

    /// The members of `inbox` as read at `mark` (whose largest row id is `largest`): `known` when nothing
    /// was committed since, `known` brought up to date when only new mail came, else read afresh. `known`
    /// must have been read before `mark`'s snapshot was taken. `isNew` says they are not `known` as it
    /// was, and should be kept.
    static func current(
        _ known: InboxMembers?, of inbox: Inbox, at mark: ReadMark, largest: Int64, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (members: InboxMembers, isNew: Bool) {
        if let known, known.mark == mark { return (known, false) }
        if var kept = known, kept.mark.server == mark.server, kept.flagChanges == inbox.flagChanges,
            largest - kept.through <= PostgresTermReader.largestCatchUp
        {
            kept.members.grow(toLargest: largest)
            kept.unread.grow(toLargest: largest)
            var sql = SQLBuilder()
            let since = try sql.bind(kept.mark.snapshot)
            let inboxID = try sql.bind(inbox.id)
            let statement = sql.query(
                """
                SELECT array_agg(seq), array_agg(seq) FILTER (WHERE NOT is_read) FROM message_search
                WHERE seq = ANY(ARRAY(\(ReadMark.rowsCommittedAfter(since)))) AND inbox_id = \(inboxID)
                """)
            try await read(statement, into: &kept, on: connection, logger: logger)
            if Int64(kept.members.count) == inbox.messageCount, Int64(kept.unread.count) == inbox.unreadCount {
                kept.mark = mark
                kept.through = largest
                return (kept, true)
            }
        }
        var fresh = InboxMembers(
            members: RowSet(largest: largest), unread: RowSet(largest: largest), mark: mark, through: largest,
            flagChanges: inbox.flagChanges)
        let statement: PostgresQuery = """
            SELECT array_agg(seq), array_agg(seq) FILTER (WHERE NOT is_read) FROM message_search
            WHERE inbox_id = \(inbox.id)
            """
        try await read(statement, into: &fresh, on: connection, logger: logger)
        return (fresh, true)
    }

    /// Adds the rows and unread rows `statement` gives (two arrays) to `members`.
    private static func read(
        _ statement: PostgresQuery, into members: inout InboxMembers, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let rows = try await connection.query(statement, logger: logger)
        for try await (all, notRead) in rows.decode(([Int64]?, [Int64]?).self) {
            for row in all ?? [] { members.members.insert(row) }
            for row in notRead ?? [] { members.unread.insert(row) }
        }
    }
}

/// The members of recently searched inboxes on this node, by inbox id.
actor InboxMembersCache {
    private var entries: [Int64: InboxMembers] = [:]
    private static let maximumEntries = 16

    /// Every kept entry: a search takes them before its snapshot, so that what it brings up to date was
    /// read before that snapshot (another search may keep newer ones meanwhile).
    var all: [Int64: InboxMembers] {
        entries
    }

    /// Keeps `members`, unless newer ones of the inbox are kept already.
    func remember(_ members: InboxMembers, of inboxID: Int64) {
        if let kept = entries[inboxID], kept.through > members.through { return }
        if entries[inboxID] == nil, entries.count >= Self.maximumEntries { entries.removeAll() }
        entries[inboxID] = members
    }

    /// Lets every entry go (for tests, and with the kept term rows after a lost connection).
    func forgetAll() {
        entries.removeAll()
    }
}

import Logging
import MailpenStore
import PostgresNIO

/// Reads the rows a search term matches in every inbox, inside a search's transaction (one snapshot). A
/// term whose rows this node kept from an earlier snapshot is brought up to date with the search rows
/// committed since: those written by a transaction that snapshot did not see (`created_xid`). Nodes commit
/// out of row order — a node's batch with lower row ids can commit after another's — so the rows after
/// the last one seen would miss some.
struct PostgresTermReader {
    typealias Entry = TermRowsCache<PostgresTermKey>.Entry

    let kept: [PostgresTermKey: Entry]
    /// The search's server and snapshot, and the largest row id in it.
    let mark: ReadMark
    let largest: Int64
    /// The terms read or brought up to date, for the cache.
    private(set) var updated: [PostgresTermKey: Entry] = [:]

    /// Beyond this many rows stored since a term's rows were kept, they are read afresh from the indexes:
    /// bringing them up to date tests each newer row on its own.
    static let largestCatchUp: Int64 = 5000

    init(kept: [PostgresTermKey: Entry], mark: ReadMark, largest: Int64) {
        self.kept = kept
        self.mark = mark
        self.largest = largest
    }

    /// The rows of `key` kept from this server, if any.
    func keptEntry(_ key: PostgresTermKey) -> Entry? {
        guard let entry = updated[key] ?? kept[key], ReadMark(entry.snapshot)?.server == mark.server else {
            return nil
        }
        return entry
    }

    /// The rows `condition` matches.
    mutating func rows(
        of condition: SearchCondition, on connection: PostgresConnection, logger: Logger
    ) async throws -> RowSet {
        guard let key = PostgresTermKey(condition) else {
            var found = RowSet(largest: largest)
            try await read(condition, committedAfter: nil, into: &found, on: connection, logger: logger)
            return found
        }
        let known = keptEntry(key)
        if let known, known.snapshot == mark.text { return known.rows }  // Nothing committed since.
        var entry: Entry
        if let known, let since = ReadMark(known.snapshot)?.snapshot, largest - known.through <= Self.largestCatchUp {
            entry = known
            entry.rows.grow(toLargest: largest)
            try await read(condition, committedAfter: since, into: &entry.rows, on: connection, logger: logger)
        } else {
            entry = Entry(rows: RowSet(largest: largest), through: largest)
            try await read(condition, committedAfter: nil, into: &entry.rows, on: connection, logger: logger)
        }
        entry.through = largest
        entry.snapshot = mark.text
        updated[key] = entry
        return entry.rows
    }

    /// Adds the rows `condition` matches to `found`: all of them, or those committed after the snapshot
    /// `since`, each of which is then tested on its own.
    private func read(
        _ condition: SearchCondition, committedAfter since: String?, into found: inout RowSet,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        var sql = SQLBuilder()
        let statement: PostgresQuery
        if let since {
            let snapshot = try sql.bind(since)
            let test = try PostgresSearchSQL.condition(condition, on: "s", fewRows: true, into: &sql)
            statement = sql.query(
                """
                SELECT array_agg(s.seq) FROM message_search s
                WHERE s.seq = ANY(ARRAY(\(ReadMark.rowsCommittedAfter(snapshot)))) AND \(test)
                """)
        } else if let table = try Self.tableOfRows(condition, into: &sql) {
            statement = sql.query("SELECT array_agg(seq) FROM \(table)")
        } else {
            let test = try PostgresSearchSQL.condition(condition, on: "s", into: &sql)
            statement = sql.query("SELECT array_agg(s.seq) FROM message_search s WHERE \(test)")
        }
        for try await rows in try await connection.query(statement, logger: logger).decode([Int64]?.self) {
            for row in rows ?? [] { found.insert(row) }
        }
    }

    /// For a term answered by a table of rows of its own (header lines, tags), that table and the
    /// condition on it: its rows are read there alone, without a visit to each message's search row.
    private static func tableOfRows(_ condition: SearchCondition, into builder: inout SQLBuilder) throws -> String? {
        switch condition {
        case .header(let name, let value):
            let name = StoredText.cut(name)
            guard HeaderRows.isIndexable(name: name) else { return nil }
            return try HeaderRows.entries(name: name, value: value.map(StoredText.cut), into: &builder)
        case .tag(let tag):
            return try PostgresSearchSQL.taggedRows(tag, into: &builder)
        default:
            return nil
        }
    }
}

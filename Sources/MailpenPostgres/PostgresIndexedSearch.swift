import Logging
import MailpenStore
import PostgresNIO

/// A search of one inbox answered with sets of row ids, as the SQLite store answers it (``RowSet``): each
/// term gives the rows it matches in every inbox, kept on this node between searches and brought up to
/// date with the rows committed since (``PostgresTermReader``), and one pass over the inbox's members gives
/// the page and both totals. Counting a word that most of 100k messages hold in SQL visits every match's
/// row for its inbox and read flag, 55–70 ms before the page is read; a negated term is a set subtracted.
struct PostgresIndexedSearch {
    /// One term; `is:read` is kept as its negation, `-is:unread`.
    struct Term {
        var condition: SearchCondition
        var isNegated: Bool

        /// Whether its rows are the inbox's unread members rather than a condition read in every inbox.
        var isUnread: Bool {
            if case .isRead = condition { true } else { false }
        }
    }

    let terms: [Term]

    /// The plan for `query`, or `nil` for the empty query (a plain list, which has a way of its own near
    /// the top: ``wholeInbox`` serves deep pages).
    init?(_ query: SearchQuery) {
        guard !query.terms.isEmpty else { return nil }
        let terms = query.terms.map { term in
            if case .isRead(let isRead) = term.condition {
                return Term(condition: .isRead(false), isNegated: term.isNegated != isRead)
            }
            return Term(condition: term.condition, isNegated: term.isNegated)
        }
        // Positive terms read in every inbox first, so that the rest only ever narrow them down.
        let leading = terms.filter { !$0.isNegated && !$0.isUnread }
        self.terms = leading + terms.filter { $0.isNegated || $0.isUnread }
    }

    private init(terms: [Term]) {
        self.terms = terms
    }

    /// The plan without terms: every member of the inbox. A list page deep in a large inbox is picked from
    /// the kept members instead of walking the inbox's index past its offset.
    static let wholeInbox = PostgresIndexedSearch(terms: [])

    /// The keys of the terms whose rows may be kept between searches.
    var keys: [PostgresTermKey] {
        terms.compactMap { PostgresTermKey($0.condition) }
    }

    /// What a search found: the page's row ids and the totals.
    struct Matches {
        var page: [Int64]
        var total: Int
        var unread: Int
    }

    /// The matches in `inbox`, read on `connection` inside a transaction of one snapshot, which `reader`
    /// knows. The inbox's members are brought up to date from `known` when they were kept; when they are
    /// read or brought up to date, they are returned as `loaded`, for the searches after this one.
    func matches(
        in inbox: InboxMembers.Inbox, members known: InboxMembers?, limit: Int, offset: Int,
        reading reader: inout PostgresTermReader, on connection: PostgresConnection, logger: Logger
    ) async throws -> (matches: Matches, loaded: InboxMembers?) {
        var candidates: RowSet?
        var inboxTests: [Term] = []
        for term in terms {
            guard !term.isUnread, !term.isNegated || candidates != nil else {
                inboxTests.append(term)  // Nothing to subtract from yet: the inbox's members are the start.
                continue
            }
            let found = try await reader.rows(of: term.condition, on: connection, logger: logger)
            if var current = candidates {
                if term.isNegated { current.subtract(found) } else { current.formIntersection(found) }
                candidates = current
            } else {
                candidates = found
            }
        }
        if known == nil, inboxTests.isEmpty, let candidates,
            Int64(candidates.count * RowSet.lookupCostInRows) < reader.largest
        {
            // Few candidates: looking them up costs less than reading the inbox's members.
            let matches = try await Self.lookUp(
                candidates, inboxID: inbox.id, limit: limit, offset: offset, largest: reader.largest,
                on: connection, logger: logger)
            return (matches, nil)
        }
        let (current, isNew) = try await InboxMembers.current(
            known, of: inbox, at: reader.mark, largest: reader.largest, on: connection, logger: logger)
        var rows = candidates ?? current.members
        rows.formIntersection(current.members)
        for term in inboxTests {
            let found =
                term.isUnread
                ? current.unread : try await reader.rows(of: term.condition, on: connection, logger: logger)
            if term.isNegated { rows.subtract(found) } else { rows.formIntersection(found) }
        }
        let matches = Matches(
            page: rows.largest(limit, skipping: offset), total: rows.count,
            unread: rows.countOfIntersection(with: current.unread))
        return (matches, isNew ? current : nil)
    }

    /// The candidates that belong to the inbox, looked up by their row ids.
    private static func lookUp(
        _ candidates: RowSet, inboxID: Int64, limit: Int, offset: Int, largest: Int64,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Matches {
        var found = RowSet(largest: largest)
        var unread = 0
        let rows = try await connection.query(
            "SELECT seq, is_read FROM message WHERE seq = ANY(\(Array(candidates))) AND inbox_id = \(inboxID)",
            logger: logger)
        for try await (row, isRead) in rows.decode((Int64, Bool).self) {
            found.insert(row)
            if !isRead { unread += 1 }
        }
        return Matches(page: found.largest(limit, skipping: offset), total: found.count, unread: unread)
    }
}

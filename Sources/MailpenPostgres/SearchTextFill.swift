import MailpenStore
import PostgresNIO

/// Fills the search texts of a batch of claimed messages as one prepared statement: their `message_search`
/// rows (still without texts) get them and a new `created_xid`, so that nodes keeping a term's rows find
/// them among the rows committed since (see ``ReadMark``); their header lines go into `message_header`,
/// and the other nodes are told.
struct SearchTextFill: BatchStatement {
    /// A claimed message's row number and texts.
    typealias Entry = (seq: Int64, row: SearchRow)
    /// The rows filled and the notifications sent.
    typealias Row = (Int64, Int64)

    /// The text of every batch's statement, taken from an empty one.
    static let sql: String = (try? query(for: [], notifying: []).sql) ?? ""

    let bindings: PostgresBindings

    init(_ entries: [Entry], notifying payloads: [String]) throws {
        bindings = try Self.bindings(of: Self.query(for: entries, notifying: payloads))
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }

    private static func query(for entries: [Entry], notifying payloads: [String]) throws -> PostgresQuery {
        var sql = SQLBuilder()
        func column<T: PostgresArrayEncodable & Sendable>(_ value: (SearchRow) -> T?) throws -> String {
            try sql.bind(PostgresArray(entries.map { value($0.row) }))
        }
        let seqs = try sql.bind(entries.map(\.seq))
        let words = try column { $0.words.vector }
        let wordSets = try column { $0.words.wordSet }
        let texts = [
            try column { $0.words.tokens },
            try column { $0.fields.from },
            try column { $0.fields.to },
            try column { $0.fields.cc },
            try column { $0.fields.bcc },
            try column { $0.fields.replyTo },
            try column { $0.fields.all },
            try column { $0.fields.recipients },
            try column { $0.fields.subject },
            try column { $0.fields.messageID },
            try column { $0.fields.headers },
        ]
        let headerLines = entries.flatMap { entry in entry.row.headers.map { (entry.seq, $0) } }
        let headerSeqs = try sql.bind(headerLines.map(\.0))
        let headerNames = try sql.bind(headerLines.map(\.1.name))
        let headerValues = try sql.bind(headerLines.map(\.1.value))
        let notifications = try sql.bind(payloads)
        let channel = try sql.bind(StoreNotification.channel)
        let textArrays = texts.map { "\($0)::text[]" }.joined(separator: ", ")
        // Only rows still without texts are filled (the claim holds their locks, so none is filled twice),
        // and only their header lines go in.
        return sql.query(
            """
            WITH filled AS (
                UPDATE message_search s SET words = u.words, word_set = u.word_set, tokens = u.tokens,
                    addr_from = u.addr_from,
                    addr_to = u.addr_to, addr_cc = u.addr_cc, addr_bcc = u.addr_bcc, addr_reply_to = u.addr_reply_to,
                    addr_all = u.addr_all, rcpt = u.rcpt, subject = u.subject, message_id = u.message_id,
                    headers = u.headers, created_xid = pg_current_xact_id()
                FROM unnest(\(seqs)::int8[], \(words)::tsvector[], \(wordSets)::tsvector[], \(textArrays))
                    AS u (seq, words, word_set, tokens, addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to,
                        addr_all, rcpt, subject, message_id, headers)
                WHERE s.seq = u.seq AND s.addr_all IS NULL
                RETURNING s.seq
            ), headed AS (
                INSERT INTO message_header (name, seq, value)
                SELECT h.name, h.seq, h.value
                FROM unnest(\(headerNames)::text[], \(headerSeqs)::int8[], \(headerValues)::text[]) AS h (name, seq, value)
                WHERE h.seq IN (SELECT seq FROM filled)
            ), notified AS (
                SELECT count(pg_notify(\(channel), p)) AS sent FROM unnest(\(notifications)::text[]) AS p
            )
            SELECT (SELECT count(*) FROM filled), (SELECT sent FROM notified)
            """)
    }
}

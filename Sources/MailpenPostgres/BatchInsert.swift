import MailpenStore
import PostgresNIO

/// A batch of new messages as one statement: their rows, bytes and search rows inserted (the search rows'
/// columns only: ``PostgresIndexer`` fills their texts later), their inboxes' counters raised (the inbox
/// rows locked first, in id order, as every transaction here locks them) and the batch's notifications
/// sent, as one ``BatchStatement``.
struct BatchInsert: BatchStatement {
    /// A message of the batch with its number, id and inbox.
    typealias Entry = (row: IncomingRow, seq: Int64, id: String, inbox: InboxReference)
    /// An inbox's id, its new message count and its limit (`nil`: the store's default), then the number of
    /// notifications sent.
    typealias Row = (Int64, Int64, Int64?, Int64)

    /// The text of every batch's statement, taken from an empty one.
    static let sql: String = (try? query(for: [], at: 0, added: [:], notifying: []).sql) ?? ""

    let bindings: PostgresBindings

    init(_ entries: [Entry], at now: Int64, added: [Int64: Int64], notifying payloads: [String]) throws {
        bindings = try Self.bindings(of: Self.query(for: entries, at: now, added: added, notifying: payloads))
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }

    private static func query(
        for stored: [Entry], at now: Int64, added: [Int64: Int64], notifying payloads: [String]
    ) throws -> PostgresQuery {
        var sql = SQLBuilder()
        let inboxIDs = added.keys.sorted()
        let counterIDs = try sql.bind(inboxIDs)
        let counts = try sql.bind(inboxIDs.map { added[$0] ?? 0 })
        let received = try sql.bind(now)
        func column<T: PostgresArrayEncodable & Sendable>(_ value: (IncomingRow) -> T?) throws -> String {
            try sql.bind(PostgresArray(stored.map { value($0.row) }))
        }
        let seqs = try sql.bind(stored.map(\.seq))
        let ids = try sql.bind(stored.map(\.id))
        let inboxes = try sql.bind(stored.map(\.inbox.id))
        let sizes = try column { Int64($0.message.size) }
        let attachments = try column { Int64($0.message.columns.attachmentCount) }
        let messageColumns = [
            try column { StoredText.cut($0.message.columns.envelope) },
            try column { StoredText.cut($0.message.columns.mailFrom) },
            try column { StoredText.cut($0.message.columns.recipients) },
            try column { StoredText.cut($0.message.columns.subject) },
            try column { StoredText.cut($0.message.columns.from) },
            try column { StoredText.cut($0.message.columns.to) },
            try column { StoredText.cut($0.message.columns.cc) },
            try column { StoredText.cut($0.message.columns.bcc) },
            try column { StoredText.cut($0.message.columns.replyTo) },
            try column { $0.message.columns.dateHeader },
            try column { StoredText.cut($0.message.columns.messageIDHeader) },
            try column { StoredText.cut($0.message.columns.snippet) },
        ]
        let raw = try column { $0.raw }
        let notifications = try sql.bind(payloads)
        let channel = try sql.bind(StoreNotification.channel)
        let messageTypes = [
            "text", "text", "text", "text", "text", "text", "text", "text", "text", "int8", "text", "text",
        ]
        func typed(_ placeholders: [String], _ types: [String]) -> String {
            zip(placeholders, types).map { "\($0)::\($1)[]" }.joined(separator: ", ")
        }
        return sql.query(
            """
            WITH locked AS (
                SELECT id FROM inbox WHERE id = ANY(\(counterIDs)::int8[]) ORDER BY id FOR NO KEY UPDATE
            ), counted AS (
                UPDATE inbox SET message_count = inbox.message_count + c.n, unread_count = inbox.unread_count + c.n
                FROM unnest(\(counterIDs)::int8[], \(counts)::int8[]) AS c (id, n)
                WHERE inbox.id = c.id AND inbox.id IN (SELECT id FROM locked)
                RETURNING inbox.id, inbox.message_count, inbox.max_messages
            ), stored AS (
                INSERT INTO message (seq, id, inbox_id, received_at, size, attachment_count, envelope, mail_from,
                    recipients, subject, from_list, to_list, cc_list, bcc_list, reply_to_list, date_header,
                    message_id_header, snippet)
                SELECT u.seq, u.id, u.inbox_id, \(received), u.size, u.attachments, u.envelope, u.mail_from,
                    u.recipients, u.subject, u.from_list, u.to_list, u.cc_list, u.bcc_list, u.reply_to_list,
                    u.date_header, u.message_id_header, u.snippet
                FROM unnest(\(seqs)::int8[], \(ids)::text[], \(inboxes)::int8[], \(sizes)::int8[],
                    \(attachments)::int8[], \(typed(messageColumns, messageTypes)))
                    AS u (seq, id, inbox_id, size, attachments, envelope, mail_from, recipients, subject, from_list,
                        to_list, cc_list, bcc_list, reply_to_list, date_header, message_id_header, snippet)
            ), bytes AS (
                INSERT INTO message_raw (seq, raw) SELECT * FROM unnest(\(seqs)::int8[], \(raw)::bytea[])
            ), searchable AS (
                INSERT INTO message_search (seq, inbox_id, id, received_at, size, attachment_count)
                SELECT u.seq, u.inbox_id, u.id, \(received), u.size, u.attachments
                FROM unnest(\(seqs)::int8[], \(ids)::text[], \(inboxes)::int8[], \(sizes)::int8[],
                    \(attachments)::int8[]) AS u (seq, id, inbox_id, size, attachments)
            ), notified AS (
                SELECT count(pg_notify(\(channel), p)) AS sent FROM unnest(\(notifications)::text[]) AS p
            )
            SELECT c.id, c.message_count, c.max_messages, (SELECT sent FROM notified) FROM counted c
            """)
    }
}

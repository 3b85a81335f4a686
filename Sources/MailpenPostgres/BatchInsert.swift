import MailpenStore
import PostgresNIO

/// A batch of new messages as one statement: it takes the batch's time from the server's clock and a number
/// for each message from `message_seq`, makes their ids from those (`mailpen_message_id`), inserts their
/// rows, bytes and search rows (the search rows' columns only: ``PostgresIndexer`` fills their texts later),
/// raises their inboxes' counters (the inbox rows locked first, in id order, as every transaction here locks
/// them) and sends the batch's notifications, its new messages announced last, as one ``BatchStatement``.
/// One clock and one sequence for every node keep ids unique and in order of arrival across nodes, and
/// taking them here costs the batch no round trip of its own.
struct BatchInsert: BatchStatement {
    /// A message of the batch with its inbox.
    typealias Entry = (row: IncomingRow, inbox: InboxReference)
    /// What the statement gives back, in its one row.
    struct Row {
        /// The number of notifications sent (read, so that the statement sends them).
        var notificationsSent: Int64
        /// The batch's time in milliseconds.
        var milliseconds: Int64
        /// The messages' ids, in the order of the entries.
        var ids: [String]
        /// Each inbox's id, new message count and limit (`nil`: the store's default).
        var counted: [(inbox: Int64, count: Int64, limit: Int64?)]
    }

    /// The text of every batch's statement, taken from an empty one.
    static let sql: String = (try? query(for: [], added: [:], notifying: [], node: "").sql) ?? ""

    let bindings: PostgresBindings

    /// - Parameter payloads: the notifications to send before those announcing the batch's messages.
    init(_ entries: [Entry], added: [Int64: Int64], notifying payloads: [String], node: String) throws {
        bindings = try Self.bindings(of: Self.query(for: entries, added: added, notifying: payloads, node: node))
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (inboxes, counts, limits, hasLimits, sent, milliseconds, ids) = try row.decode(
            ([Int64], [Int64], [Int64], [Bool], Int64, Int64, [String]).self)
        var counted: [(inbox: Int64, count: Int64, limit: Int64?)] = []
        for (index, inbox) in inboxes.enumerated() where index < counts.count && index < limits.count {
            counted.append((inbox, counts[index], index < hasLimits.count && hasLimits[index] ? limits[index] : nil))
        }
        return Row(notificationsSent: sent, milliseconds: milliseconds, ids: ids, counted: counted)
    }

    private static func query(
        for stored: [Entry], added: [Int64: Int64], notifying payloads: [String], node: String
    ) throws -> PostgresQuery {
        var sql = SQLBuilder()
        let inboxIDs = added.keys.sorted()
        let counterIDs = try sql.bind(inboxIDs)
        let counts = try sql.bind(inboxIDs.map { added[$0] ?? 0 })
        func column<T: PostgresArrayEncodable & Sendable>(_ value: (IncomingRow) -> T?) throws -> String {
            try sql.bind(PostgresArray(stored.map { value($0.row) }))
        }
        let inboxes = try sql.bind(stored.map(\.inbox.id))
        let names = try sql.bind(stored.map(\.inbox.name))
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
        let others = try sql.bind(payloads)
        let storedPrefix = "\(node) s "
        let prefix = try sql.bind(storedPrefix)
        let perPayload = try sql.bind(
            Int64(StoreNotification.idsPerPayload(prefix: storedPrefix, inboxes: stored.map(\.inbox.name))))
        let channel = try sql.bind(StoreNotification.channel)
        let messageTypes = [
            "text", "text", "text", "text", "text", "text", "text", "text", "text", "int8", "text", "text",
        ]
        func typed(_ placeholders: [String], _ types: [String]) -> String {
            zip(placeholders, types).map { "\($0)::\($1)[]" }.joined(separator: ", ")
        }
        return sql.query(
            """
            WITH clock AS (
                SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::int8 AS ms
            ), numbered AS (
                SELECT u.ord, nextval('message_seq') AS seq, u.inbox_id, u.inbox_name, u.size, u.attachments
                FROM unnest(\(inboxes)::int8[], \(names)::text[], \(sizes)::int8[], \(attachments)::int8[])
                    WITH ORDINALITY AS u (inbox_id, inbox_name, size, attachments, ord)
            ), identified AS (
                SELECT n.*, c.ms AS received_at, mailpen_message_id(c.ms, n.seq) AS id FROM numbered n, clock c
            ), locked AS (
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
                SELECT i.seq, i.id, i.inbox_id, i.received_at, i.size, i.attachments, u.envelope, u.mail_from,
                    u.recipients, u.subject, u.from_list, u.to_list, u.cc_list, u.bcc_list, u.reply_to_list,
                    u.date_header, u.message_id_header, u.snippet
                FROM identified i JOIN unnest(\(typed(messageColumns, messageTypes))) WITH ORDINALITY
                    AS u (envelope, mail_from, recipients, subject, from_list, to_list, cc_list, bcc_list,
                        reply_to_list, date_header, message_id_header, snippet, ord) ON u.ord = i.ord
            ), bytes AS (
                INSERT INTO message_raw (seq, raw)
                SELECT i.seq, r.raw FROM identified i
                    JOIN unnest(\(raw)::bytea[]) WITH ORDINALITY AS r (raw, ord) ON r.ord = i.ord
            ), searchable AS (
                INSERT INTO message_search (seq, inbox_id, id, received_at, size, attachment_count)
                SELECT seq, inbox_id, id, received_at, size, attachments FROM identified
            ), news AS (
                SELECT p, 0 AS part, ord FROM unnest(\(others)::text[]) WITH ORDINALITY AS o (p, ord)
                UNION ALL
                SELECT \(prefix)::text || inbox_name || ' ' || string_agg(id, ' ' ORDER BY ord), 1, min(ord)
                FROM (
                    SELECT inbox_name, id, ord,
                        (row_number() OVER (PARTITION BY inbox_name ORDER BY ord) - 1) / \(perPayload)::int8 AS chunk
                    FROM identified
                ) AS chunks
                GROUP BY inbox_name, chunk
            ), notified AS (
                SELECT count(pg_notify(\(channel), p)) AS sent FROM (SELECT p FROM news ORDER BY part, ord) AS n
            )
            SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}'), coalesce(array_agg(c.message_count ORDER BY c.id), '{}'),
                coalesce(array_agg(coalesce(c.max_messages, 0) ORDER BY c.id), '{}'),
                coalesce(array_agg(c.max_messages IS NOT NULL ORDER BY c.id), '{}'),
                (SELECT sent FROM notified), (SELECT ms FROM clock),
                coalesce((SELECT array_agg(id ORDER BY ord) FROM identified), '{}')
            FROM counted c
            """)
    }
}

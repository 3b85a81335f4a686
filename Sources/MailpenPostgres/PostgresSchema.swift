import Logging
import PostgresNIO

/// The versioned schema of a Mailpen PostgreSQL database. Migrations are only ever appended; each runs
/// once, recorded in `mailpen_migration`, all of them under a transaction-scoped advisory lock, so that
/// nodes starting together apply them once and the others wait and find them applied.
///
/// The tables mirror the SQLite store's (see docs/storage.md), plus `message_search`: what a search
/// looks at for one message, kept apart from `message` so that lists never read it. Its row is stored with
/// the message and its texts are filled behind the writer, as the SQLite store's search index is (see
/// ``PostgresIndexer``). Its word vector is stored out of line (`toast_tuple_target`), leaving narrow rows
/// that a search over many matches can count quickly.
enum PostgresSchema {
    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// The advisory lock (two 32-bit keys: 'mail', 1) held while migrating.
    static let migrationLock: (Int32, Int32) = (0x6D61_696C, 1)

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "inboxes, messages and search",
            statements: [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE SEQUENCE message_seq",
                """
                CREATE TABLE inbox (
                    id bigserial PRIMARY KEY,
                    name text NOT NULL,
                    name_key text COLLATE "C" NOT NULL UNIQUE,
                    smtp_username text NOT NULL,
                    smtp_password text NOT NULL,
                    max_messages bigint,
                    max_age_seconds bigint,
                    routes text NOT NULL DEFAULT '',
                    created_at bigint NOT NULL,
                    message_count bigint NOT NULL DEFAULT 0,
                    unread_count bigint NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE message (
                    seq bigint PRIMARY KEY,
                    id text COLLATE "C" NOT NULL UNIQUE,
                    inbox_id bigint NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
                    received_at bigint NOT NULL,
                    size bigint NOT NULL,
                    envelope text NOT NULL,
                    mail_from text NOT NULL,
                    recipients text NOT NULL,
                    subject text NOT NULL,
                    from_list text NOT NULL,
                    to_list text NOT NULL,
                    cc_list text NOT NULL,
                    bcc_list text NOT NULL,
                    reply_to_list text NOT NULL,
                    date_header bigint,
                    message_id_header text,
                    snippet text NOT NULL,
                    attachment_count integer NOT NULL,
                    is_read boolean NOT NULL DEFAULT false,
                    tags text NOT NULL DEFAULT ''
                )
                """,
                "CREATE INDEX message_by_inbox ON message (inbox_id, seq)",
                """
                CREATE TABLE message_raw (
                    seq bigint PRIMARY KEY REFERENCES message (seq) ON DELETE CASCADE,
                    raw bytea NOT NULL
                )
                """,
                // The bytes as received, out of line and uncompressed: compressing costs ingest CPU for
                // little, and a message is read whole or not at all.
                "ALTER TABLE message_raw ALTER COLUMN raw SET STORAGE EXTERNAL",
                """
                CREATE TABLE message_tag (
                    tag text COLLATE "C" NOT NULL,
                    seq bigint NOT NULL REFERENCES message (seq) ON DELETE CASCADE,
                    PRIMARY KEY (tag, seq)
                )
                """,
                "CREATE INDEX message_tag_by_seq ON message_tag (seq)",
                """
                CREATE TABLE message_search (
                    seq bigint PRIMARY KEY REFERENCES message (seq) ON DELETE CASCADE,
                    inbox_id bigint NOT NULL,
                    id text COLLATE "C" NOT NULL,
                    received_at bigint NOT NULL,
                    size bigint NOT NULL,
                    attachment_count integer NOT NULL,
                    is_read boolean NOT NULL DEFAULT false,
                    words tsvector,
                    tokens text COLLATE "C",
                    addr_from text COLLATE "C" NOT NULL,
                    addr_to text COLLATE "C" NOT NULL,
                    addr_cc text COLLATE "C" NOT NULL,
                    addr_bcc text COLLATE "C" NOT NULL,
                    addr_reply_to text COLLATE "C" NOT NULL,
                    addr_all text COLLATE "C" NOT NULL,
                    rcpt text COLLATE "C" NOT NULL,
                    subject text COLLATE "C" NOT NULL,
                    message_id text COLLATE "C" NOT NULL,
                    headers text COLLATE "C" NOT NULL
                ) WITH (toast_tuple_target = 128, autovacuum_vacuum_insert_scale_factor = 0.02)
                """,
                "CREATE INDEX message_search_by_inbox ON message_search (inbox_id, seq)",
                "CREATE INDEX message_search_words ON message_search USING gin (words)",
                """
                CREATE INDEX message_search_fields ON message_search USING gin (
                    addr_from gin_trgm_ops, addr_to gin_trgm_ops, addr_cc gin_trgm_ops, addr_bcc gin_trgm_ops,
                    addr_reply_to gin_trgm_ops, addr_all gin_trgm_ops, rcpt gin_trgm_ops, subject gin_trgm_ops,
                    message_id gin_trgm_ops, headers gin_trgm_ops)
                """,
                // The few messages too large for a word vector, whose words are matched in `tokens`.
                "CREATE INDEX message_search_unindexed ON message_search (seq) WHERE words IS NULL",
                // `header:` matching on one line, as the SQLite store's function of the same name does.
                """
                CREATE FUNCTION mailpen_header_matches(headers text, name text, value text) RETURNS boolean
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                    SELECT EXISTS (
                        SELECT 1 FROM unnest(string_to_array(headers, E'\\n')) AS line
                        WHERE starts_with(line COLLATE "C", name || ': ')
                            AND (value IS NULL
                                OR strpos(substr(line, char_length(name) + 3) COLLATE "C", value) > 0))
                $$
                """,
            ]),
        Migration(
            version: 2, name: "relay deliveries",
            statements: [
                // A delivery keeps no reference to its message: its record outlives a message deleted while it
                // waits (that attempt then fails). `lease_until` is when a `sending` delivery whose node went
                // away may be claimed again.
                """
                CREATE TABLE delivery (
                    seq bigserial PRIMARY KEY,
                    id text COLLATE "C" NOT NULL UNIQUE,
                    message_id text COLLATE "C" NOT NULL,
                    inbox text NOT NULL,
                    relay text NOT NULL,
                    recipients text NOT NULL,
                    status text NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    last_reply text,
                    last_error text,
                    next_attempt_at bigint,
                    lease_until bigint,
                    created_at bigint NOT NULL,
                    updated_at bigint NOT NULL,
                    history text NOT NULL DEFAULT '[]'
                )
                """,
                "CREATE INDEX delivery_due ON delivery (status, next_attempt_at)",
                "CREATE INDEX delivery_by_message ON delivery (message_id)",
                "CREATE INDEX delivery_by_relay ON delivery (relay, status)",
                """
                CREATE TABLE auto_relay_rule (
                    inbox_id bigint NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
                    position integer NOT NULL,
                    relay text NOT NULL,
                    query text NOT NULL,
                    recipients text,
                    PRIMARY KEY (inbox_id, position)
                )
                """,
            ]),
        Migration(
            version: 3, name: "webhooks",
            statements: [
                """
                CREATE TABLE webhook (
                    inbox_id bigint NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
                    position integer NOT NULL,
                    url text NOT NULL,
                    events text NOT NULL,
                    secret text,
                    backoff_ms bigint NOT NULL,
                    PRIMARY KEY (inbox_id, position)
                )
                """,
                """
                CREATE TABLE webhook_delivery (
                    seq bigserial PRIMARY KEY,
                    id text COLLATE "C" NOT NULL UNIQUE,
                    inbox text NOT NULL,
                    url text COLLATE "C" NOT NULL,
                    event text NOT NULL,
                    event_key text COLLATE "C" NOT NULL,
                    body text NOT NULL,
                    secret text,
                    backoff_ms bigint NOT NULL,
                    status text NOT NULL,
                    attempts bigint NOT NULL DEFAULT 0,
                    last_status bigint,
                    last_error text,
                    next_attempt_at bigint,
                    claimed_at bigint,
                    created_at bigint NOT NULL,
                    updated_at bigint NOT NULL,
                    history text NOT NULL DEFAULT '[]'
                )
                """,
                "CREATE UNIQUE INDEX webhook_delivery_key ON webhook_delivery (inbox, url, event_key)",
                """
                CREATE INDEX webhook_delivery_pending ON webhook_delivery (url, seq)
                WHERE status IN ('queued', 'sending')
                """,
                "CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'queued'",
                "CREATE INDEX webhook_delivery_by_inbox ON webhook_delivery (inbox, seq)",
                """
                CREATE INDEX webhook_delivery_finished ON webhook_delivery (updated_at)
                WHERE status IN ('sent', 'failed')
                """,
            ]),
        Migration(
            version: 4, name: "chaos rules",
            statements: [
                """
                CREATE TABLE chaos_rule (
                    inbox_id bigint REFERENCES inbox(id) ON DELETE CASCADE,
                    revision bigint NOT NULL,
                    position integer NOT NULL,
                    seed bigint,
                    stage text NOT NULL,
                    reply text,
                    probability integer NOT NULL,
                    times bigint,
                    delay_ms integer NOT NULL,
                    disconnect boolean NOT NULL,
                    match text,
                    hits bigint NOT NULL DEFAULT 0,
                    PRIMARY KEY (revision, position)
                )
                """,
                "CREATE INDEX chaos_rule_by_inbox ON chaos_rule (inbox_id)",
            ]),
        Migration(
            version: 5, name: "word search by index alone",
            statements: [
                // The words of messages too large for a vector, found by the index like the others' (see
                // `WordQuery.condition`); only those messages have `tokens`.
                """
                CREATE INDEX message_search_tokens ON message_search USING gin (tokens gin_trgm_ops)
                WHERE tokens IS NOT NULL
                """,
                // It served the test this index replaces.
                "DROP INDEX message_search_unindexed",
            ]),
        Migration(
            version: 6, name: "list pages from the index alone",
            statements: [
                // A list page deep in an inbox skips its offset in the inbox's index; it reads only the index
                // where the visibility map says the rows are visible to all, so vacuum keeps up with inserts.
                "ALTER TABLE message SET (autovacuum_vacuum_insert_scale_factor = 0.02)"
            ]),
        Migration(
            version: 7, name: "header lines by name",
            statements: [
                // `header:` reads one name's entries here (see `HeaderRows`) rather than every message's header
                // text, which a name in every message made the trigram index read whole; that index then no
                // longer covers the header text, its costliest column to keep.
                """
                CREATE TABLE message_header (
                    name text COLLATE "C" NOT NULL,
                    seq bigint NOT NULL REFERENCES message (seq) ON DELETE CASCADE,
                    value text COLLATE "C" NOT NULL
                ) WITH (autovacuum_vacuum_insert_scale_factor = 0.02)
                """,
                """
                INSERT INTO message_header (name, seq, value)
                SELECT DISTINCT left(e.line, e.split - 1), e.seq, substr(e.line, e.split + 2)
                FROM (
                    SELECT s.seq, l.line, strpos(l.line, ': ') AS split
                    FROM message_search s, unnest(string_to_array(s.headers, E'\\n')) AS l (line)
                ) e
                WHERE e.split > 1 AND octet_length(left(e.line, e.split - 1)) <= \(HeaderRows.longestName)
                """,
                "CREATE INDEX message_header_by_name ON message_header (name, seq)",
                "CREATE INDEX message_header_by_seq ON message_header (seq)",
                // What share of the rows `inbox_id + 0 = ...` keeps (see `PostgresSearchSQL.inboxCondition`):
                // without it the planner takes 0.5 %, and then joins a large set of rows (a header table
                // name in every message) entry by entry.
                "CREATE STATISTICS message_search_inbox ON (inbox_id + 0) FROM message_search",
                "ANALYZE message_search",
                "DROP INDEX message_search_fields",
                """
                CREATE INDEX message_search_fields ON message_search USING gin (
                    addr_from gin_trgm_ops, addr_to gin_trgm_ops, addr_cc gin_trgm_ops, addr_bcc gin_trgm_ops,
                    addr_reply_to gin_trgm_ops, addr_all gin_trgm_ops, rcpt gin_trgm_ops, subject gin_trgm_ops,
                    message_id gin_trgm_ops)
                """,
            ]),
        Migration(
            version: 8, name: "search rows kept by each node",
            statements: [
                // The transaction that wrote each search row, so that a node keeping a term's rows from one
                // snapshot reads only the rows committed since (see `PostgresTermReader`): nodes commit out of
                // row order, so the rows after the last one seen are not enough. Rows written before this
                // migration are visible to every snapshot a node can hold.
                "ALTER TABLE message_search ADD COLUMN created_xid xid8 NOT NULL DEFAULT '3'",
                "ALTER TABLE message_search ALTER COLUMN created_xid SET DEFAULT pg_current_xact_id()",
                "CREATE INDEX message_search_by_xid ON message_search (created_xid)",
                // An inbox's members and unread flags, which every such search reads, from the index alone.
                "CREATE INDEX message_search_members ON message_search (inbox_id, seq) INCLUDE (is_read)",
                "DROP INDEX message_search_by_inbox",
                // Counts the read flags changed in each inbox: members kept by a node stay valid while only
                // new mail came (see `InboxMembers`), which the counters and this tell apart.
                "ALTER TABLE inbox ADD COLUMN flag_changes bigint NOT NULL DEFAULT 0",
            ]),
        Migration(
            version: 9, name: "field texts in line",
            statements: [
                // The address, subject and id texts are short. The table's small TOAST target, there to keep
                // word vectors out of line, moved them out too, so a field term's first read and each test
                // of a candidate fetched them from the TOAST table, and storing a message wrote a TOAST row
                // for each. In line (compressed when need be, out of line only when a row would not fit a
                // page), they are read with the row. Rows stored before keep their texts where they are.
                """
                ALTER TABLE message_search
                    ALTER COLUMN id SET STORAGE MAIN,
                    ALTER COLUMN addr_from SET STORAGE MAIN,
                    ALTER COLUMN addr_to SET STORAGE MAIN,
                    ALTER COLUMN addr_cc SET STORAGE MAIN,
                    ALTER COLUMN addr_bcc SET STORAGE MAIN,
                    ALTER COLUMN addr_reply_to SET STORAGE MAIN,
                    ALTER COLUMN addr_all SET STORAGE MAIN,
                    ALTER COLUMN rcpt SET STORAGE MAIN,
                    ALTER COLUMN subject SET STORAGE MAIN,
                    ALTER COLUMN message_id SET STORAGE MAIN
                """
            ]),
        Migration(
            version: 10, name: "search texts filled behind the writer",
            statements: [
                // A message's search row is stored with it, its columns set and its texts null; the indexer
                // fills the texts later (see `PostgresIndexer`), so that storing a message does not wait for
                // their indexes. Until then no text term matches the row.
                """
                ALTER TABLE message_search
                    ALTER COLUMN addr_from DROP NOT NULL,
                    ALTER COLUMN addr_to DROP NOT NULL,
                    ALTER COLUMN addr_cc DROP NOT NULL,
                    ALTER COLUMN addr_bcc DROP NOT NULL,
                    ALTER COLUMN addr_reply_to DROP NOT NULL,
                    ALTER COLUMN addr_all DROP NOT NULL,
                    ALTER COLUMN rcpt DROP NOT NULL,
                    ALTER COLUMN subject DROP NOT NULL,
                    ALTER COLUMN message_id DROP NOT NULL,
                    ALTER COLUMN headers DROP NOT NULL
                """,
                // The indexer's queue: the rows whose texts are not filled yet, which every filled row leaves.
                "CREATE INDEX message_search_unfilled ON message_search (seq) WHERE addr_all IS NULL",
                // Filling a row's texts leaves its old version dead; vacuum then marks the pages visible to
                // all again, which the members' index-only reads need (see `InboxMembers`).
                "ALTER TABLE message_search SET (autovacuum_vacuum_scale_factor = 0.02)",
            ]),
        Migration(
            version: 11, name: "message ids made by the batch statement",
            statements: [
                // A message's id from the time and number the batch statement takes, as
                // `MessageIdentifierGenerator` makes it: the batch needs no round trip before it to learn them.
                """
                CREATE FUNCTION mailpen_message_id(ms bigint, seq bigint) RETURNS text
                    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                    AS $$ SELECT \(messageIdentifierExpression) $$
                """
            ]),
        Migration(
            version: 12, name: "word sets of messages without a vector",
            statements: [
                // The distinct words of a message too large for a word vector (see `SearchWords`): the index
                // rules out most such messages before a word term reads their text.
                "ALTER TABLE message_search ADD COLUMN word_set tsvector",
                // Sets for the messages stored before, as the indexer makes them; a text too long to be sure
                // its set fits a vector keeps none, and is read whole as before.
                """
                UPDATE message_search SET word_set = array_to_tsvector(ARRAY(
                    SELECT DISTINCT left(word, \(SearchWords.setWordLength))
                    FROM regexp_split_to_table(tokens, E'[ \\n]+') AS word WHERE word <> ''))
                WHERE tokens IS NOT NULL AND octet_length(tokens) <= 900000
                """,
                // Without a pending list: each search would read all of it (entries of a whole message's
                // distinct words) until a vacuum merged it. These messages are few; their fill pays instead.
                """
                CREATE INDEX message_search_word_set ON message_search USING gin (word_set)
                    WITH (fastupdate = off) WHERE word_set IS NOT NULL
                """,
                // The trigram index of the token texts now serves only the messages without a set: a word
                // term takes the others from the set's index, and reads their text only where it holds the
                // words (from the trigram index, every such message would be a candidate read whole).
                "DROP INDEX message_search_tokens",
                """
                CREATE INDEX message_search_tokens ON message_search USING gin (tokens gin_trgm_ops)
                    WHERE tokens IS NOT NULL AND word_set IS NULL
                """,
            ]),
        Migration(
            version: 13, name: "queued deliveries by relay",
            statements: [
                // A claim takes each relay's due deliveries up to its share (see `RelayShare`): the relays from
                // one seek each, and each relay's earliest from its own run of the index, in claim order. It
                // begins with the status, so it serves every query `delivery_due` did.
                "CREATE INDEX delivery_queued_by_relay ON delivery (status, relay, next_attempt_at, seq)",
                "DROP INDEX delivery_due",
            ]),
    ]

    /// Crockford's base 32 of 48 bits of `ms` in 10 characters, then of `seq` in 16 (the 80 bits of
    /// ``MessageIdentifierGenerator/identifier(milliseconds:sequence:)``, of which `seq` fills the low 64), as
    /// one expression of 26 characters joined, which PostgreSQL inlines where the function is called.
    private static let messageIdentifierExpression: String = {
        let alphabet = "'0123456789ABCDEFGHJKMNPQRSTVWXYZ'"
        var characters: [String] = []
        for index in 0..<26 {
            let shift = index < 10 ? 5 * (9 - index) : 5 * (25 - index)
            let source = index < 10 ? "(ms & 281474976710655)" : "seq"
            // The 16 high bits of the 80 are zero: a shift of 64 or more has nothing left to take.
            let value = shift < 64 ? "((\(source) >> \(shift)) & 31)::int" : "0"
            characters.append("substr(\(alphabet), \(value) + 1, 1)")
        }
        return characters.joined(separator: " || ")
    }()

    /// Applies the migrations the database lacks, in one transaction under the migration lock; returns the
    /// versions applied. A database migrated by a newer Mailpen is refused.
    @discardableResult
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.run("BEGIN", logger: logger)
        do {
            let applied = try await migrateLocked(on: connection, logger: logger)
            try await connection.run("COMMIT", logger: logger)
            return applied
        } catch {
            if !connection.isClosed { try? await connection.run("ROLLBACK", logger: logger) }
            throw error
        }
    }

    private static func migrateLocked(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.run(
            "SELECT pg_advisory_xact_lock(\(migrationLock.0), \(migrationLock.1))", logger: logger)
        try await connection.run(
            """
            CREATE TABLE IF NOT EXISTS mailpen_migration (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var done: Set<Int> = []
        for try await version in try await connection.query("SELECT version FROM mailpen_migration", logger: logger)
            .decode(Int.self)
        {
            done.insert(version)
        }
        let newest = migrations.map(\.version).max() ?? 0
        if let unknown = done.max(), unknown > newest {
            throw PostgresSchemaError.newerSchema(version: unknown, known: newest)
        }
        var applied: [Int] = []
        for migration in migrations where !done.contains(migration.version) {
            logger.notice("applying database migration \(migration.version): \(migration.name)")
            for statement in migration.statements {
                try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.run(
                "INSERT INTO mailpen_migration (version, name) VALUES (\(migration.version), \(migration.name))",
                logger: logger)
            applied.append(migration.version)
        }
        return applied
    }
}

/// Why the database's schema cannot be used.
public enum PostgresSchemaError: Error, CustomStringConvertible {
    case newerSchema(version: Int, known: Int)

    public var description: String {
        switch self {
        case .newerSchema(let version, let known):
            return "the database has schema version \(version), newer than this Mailpen knows (\(known)): "
                + "run a Mailpen at least as new as the one that migrated it"
        }
    }
}

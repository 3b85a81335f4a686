import GRDB

/// The chaos rules table: one row per rule, its set known by `revision` (shared by the rules set together)
/// and its scope by `inbox_id` (`NULL` for the global rules). An inbox's rules are deleted with it.
enum ChaosSchema {
    static func create(in db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE chaos_rule (
                    inbox_id INTEGER REFERENCES inbox(id) ON DELETE CASCADE,
                    revision INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    seed INTEGER,
                    stage TEXT NOT NULL,
                    reply TEXT,
                    probability INTEGER NOT NULL,
                    times INTEGER,
                    delay_ms INTEGER NOT NULL,
                    disconnect INTEGER NOT NULL,
                    match TEXT,
                    hits INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (revision, position)
                ) WITHOUT ROWID;
                CREATE INDEX chaos_rule_by_inbox ON chaos_rule(inbox_id);
                """)
    }
}

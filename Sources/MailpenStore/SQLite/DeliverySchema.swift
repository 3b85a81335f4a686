import GRDB

/// The tables of the delivery queue and the auto-relay rules. Deliveries keep no reference to their
/// message: a delivery's record outlives a message deleted while it waits (that attempt then fails).
enum DeliverySchema {
    static func create(in db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE delivery (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    message_id TEXT NOT NULL,
                    inbox TEXT NOT NULL,
                    relay TEXT NOT NULL,
                    recipients TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_reply TEXT,
                    last_error TEXT,
                    next_attempt_at INTEGER,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    history TEXT NOT NULL DEFAULT '[]'
                );
                CREATE INDEX delivery_due ON delivery(status, next_attempt_at);
                CREATE INDEX delivery_by_message ON delivery(message_id);
                CREATE INDEX delivery_by_relay ON delivery(relay, status);
                CREATE TABLE auto_relay_rule (
                    inbox_id INTEGER NOT NULL REFERENCES inbox(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    relay TEXT NOT NULL,
                    query TEXT NOT NULL,
                    recipients TEXT,
                    PRIMARY KEY (inbox_id, position)
                ) WITHOUT ROWID;
                """)
    }
}

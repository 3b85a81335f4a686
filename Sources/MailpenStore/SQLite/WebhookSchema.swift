import GRDB

/// The tables of each inbox's webhooks and of the webhook delivery queue. A delivery names its inbox and
/// URL rather than referencing them: its record outlives a webhook removed while it waits.
enum WebhookSchema {
    static func create(in db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE webhook (
                    inbox_id INTEGER NOT NULL REFERENCES inbox(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    secret TEXT,
                    backoff_ms INTEGER NOT NULL,
                    PRIMARY KEY (inbox_id, position)
                ) WITHOUT ROWID;
                CREATE TABLE webhook_delivery (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    inbox TEXT NOT NULL,
                    url TEXT NOT NULL,
                    event TEXT NOT NULL,
                    event_key TEXT NOT NULL,
                    body TEXT NOT NULL,
                    secret TEXT,
                    backoff_ms INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_status INTEGER,
                    last_error TEXT,
                    next_attempt_at INTEGER,
                    claimed_at INTEGER,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    history TEXT NOT NULL DEFAULT '[]'
                );
                CREATE UNIQUE INDEX webhook_delivery_key ON webhook_delivery(inbox, url, event_key);
                CREATE INDEX webhook_delivery_pending ON webhook_delivery(url, seq)
                    WHERE status IN ('queued', 'sending');
                CREATE INDEX webhook_delivery_due ON webhook_delivery(next_attempt_at) WHERE status = 'queued';
                CREATE INDEX webhook_delivery_by_inbox ON webhook_delivery(inbox, seq);
                CREATE INDEX webhook_delivery_finished ON webhook_delivery(updated_at)
                    WHERE status IN ('sent', 'failed');
                """)
    }
}

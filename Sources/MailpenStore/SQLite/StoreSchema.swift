import GRDB

/// The versioned schema of the Mailpen database. Migrations only ever get appended.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: inboxes and messages") { db in
            try db.execute(
                sql: """
                    CREATE TABLE inbox (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        smtp_username TEXT NOT NULL,
                        smtp_password TEXT NOT NULL,
                        max_messages INTEGER,
                        max_age_seconds INTEGER,
                        created_at INTEGER NOT NULL,
                        message_count INTEGER NOT NULL DEFAULT 0,
                        unread_count INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE message (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        inbox_id INTEGER NOT NULL REFERENCES inbox(id) ON DELETE CASCADE,
                        received_at INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        envelope TEXT NOT NULL,
                        mail_from TEXT NOT NULL,
                        recipients TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        from_list TEXT NOT NULL,
                        to_list TEXT NOT NULL,
                        cc_list TEXT NOT NULL,
                        bcc_list TEXT NOT NULL,
                        reply_to_list TEXT NOT NULL,
                        date_header INTEGER,
                        message_id_header TEXT,
                        snippet TEXT NOT NULL,
                        attachment_count INTEGER NOT NULL,
                        is_read INTEGER NOT NULL DEFAULT 0,
                        tags TEXT NOT NULL DEFAULT ''
                    );
                    CREATE INDEX message_by_inbox ON message(inbox_id, seq);
                    CREATE TABLE message_raw (
                        seq INTEGER PRIMARY KEY REFERENCES message(seq) ON DELETE CASCADE,
                        raw BLOB NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: tags and routes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE inbox ADD COLUMN routes TEXT NOT NULL DEFAULT '';
                    CREATE TABLE message_tag (
                        tag TEXT NOT NULL,
                        seq INTEGER NOT NULL REFERENCES message(seq) ON DELETE CASCADE,
                        PRIMARY KEY (tag, seq)
                    ) WITHOUT ROWID;
                    CREATE INDEX message_tag_by_seq ON message_tag(seq);
                    """)
        }
        migrator.registerMigration("v3: narrow index for search joins") { db in
            // Searches join every full-text match to its message to check the inbox (and count unread);
            // this index answers that from a few hundred small pages instead of the wide rows.
            try db.execute(sql: "CREATE INDEX message_membership ON message(seq, inbox_id, is_read)")
        }
        migrator.registerMigration("v4: relay deliveries") { db in
            try DeliverySchema.create(in: db)
        }
        migrator.registerMigration("v5: webhooks") { db in
            try WebhookSchema.create(in: db)
        }
        migrator.registerMigration("v6: chaos rules") { db in
            try ChaosSchema.create(in: db)
        }
        migrator.registerMigration("v7: columns of size, date and attachment terms") { db in
            // Searches read these for a whole inbox in one pass (see InboxColumns), not from the wide rows.
            try db.execute(
                sql: "CREATE INDEX message_columns ON message(inbox_id, seq, size, received_at, attachment_count)")
        }
        // Dropping an index cannot break a foreign key: no check of the whole database after it.
        migrator.registerMigration("v8: no index that another one begins with", foreignKeyChecks: .immediate) { db in
            // `message_columns` begins with the same two columns and serves every query this one did;
            // keeping both cost each commit a page of the log and each message an index entry.
            try db.execute(sql: "DROP INDEX message_by_inbox")
        }
        migrator.registerMigration("v9: queued deliveries by relay", foreignKeyChecks: .immediate) { db in
            // A claim takes each relay's due deliveries up to its share (see RelayShare): the relays from
            // one seek each, and each relay's earliest from its own run of the index. It begins with the
            // status, so it serves every query `delivery_due` did.
            try db.execute(sql: "CREATE INDEX delivery_queued_by_relay ON delivery(status, relay, next_attempt_at)")
            try db.execute(sql: "DROP INDEX delivery_due")
        }
        return migrator
    }
}

import Foundation
import GRDB

extension SQLiteStore {
    /// One message's summary.
    public func summary(id: String) async throws -> MessageSummary? {
        try ensureOpen()
        return try await database.read { db in try MessageSQL.summary(id: id, in: db) }
    }

    /// A message with its envelope and exact bytes, in one read.
    public func message(id: String) async throws -> StoredMessage? {
        try ensureOpen()
        let row = try await database.read { db -> (MessageSummary, String, Data)? in
            guard let summary = try MessageSQL.summary(id: id, in: db),
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT m.envelope, r.raw FROM message m JOIN message_raw r ON r.seq = m.seq WHERE m.id = ?",
                    arguments: [id])
            else { return nil }
            return (summary, row[0], row[1])
        }
        guard let (summary, envelopeJSON, raw) = row else { return nil }
        return StoredMessage(
            summary: summary, envelope: try EnvelopeJSON.decode(envelopeJSON), raw: [UInt8](raw))
    }

    /// The exact bytes of a message as received.
    public func rawMessage(id: String) async throws -> [UInt8]? {
        try ensureOpen()
        return try await database.read { db in
            let data = try Data.fetchOne(
                db,
                sql: "SELECT r.raw FROM message m JOIN message_raw r ON r.seq = m.seq WHERE m.id = ?",
                arguments: [id])
            return data.map { [UInt8]($0) }
        }
    }

    /// The envelope a message arrived with.
    public func envelope(id: String) async throws -> MessageEnvelope? {
        try ensureOpen()
        let json = try await database.read { db in
            try String.fetchOne(db, sql: "SELECT envelope FROM message WHERE id = ?", arguments: [id])
        }
        guard let json else { return nil }
        return try EnvelopeJSON.decode(json)
    }

    public func envelopes(ids: [String]) async throws -> [String: MessageEnvelope] {
        try ensureOpen()
        guard !ids.isEmpty else { return [:] }
        // Read off the calling task (the async read), as plain values: GRDB rows cannot leave the read.
        let rows = try await database.read { db in
            var rows: [(id: String, json: String)] = []
            // In chunks: SQLite takes a limited number of parameters per statement.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = ids[start..<min(start + 500, ids.count)]
                let fetched = try Row.fetchAll(
                    db,
                    sql: "SELECT id, envelope FROM message WHERE id IN (\(databaseQuestionMarks(count: chunk.count)))",
                    arguments: StatementArguments(Array(chunk)))
                rows += fetched.map { (id: $0["id"], json: $0["envelope"]) }
            }
            return rows
        }
        var envelopes: [String: MessageEnvelope] = [:]
        for row in rows {
            envelopes[row.id] = try EnvelopeJSON.decode(row.json)
        }
        return envelopes
    }

}

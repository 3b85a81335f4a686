import GRDB
import MailpenChaos

/// Chaos rules in the SQLite file, written through the store's one writer.
extension SQLiteStore: ChaosRuleStore {
    private static let chaosColumns = ChaosRuleColumns.selected

    public func chaosRuleSets() async throws -> [ChaosRuleSet] {
        try ensureOpen()
        return try await database.read { db in
            try Self.decodeChaos(
                Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.chaosColumns) FROM chaos_rule LEFT JOIN inbox ON inbox.id = chaos_rule.inbox_id
                        ORDER BY chaos_rule.inbox_id, chaos_rule.position
                        """))
        }
    }

    public func chaosRules(inbox: String?) async throws -> ChaosRuleSet? {
        try ensureOpen()
        return try await database.read { db in
            let rows: [Row]
            if let inbox {
                guard let reference = try InboxReference.find(inbox, in: db) else {
                    throw StoreError.inboxNotFound(inbox)
                }
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.chaosColumns) FROM chaos_rule JOIN inbox ON inbox.id = chaos_rule.inbox_id
                        WHERE chaos_rule.inbox_id = ? ORDER BY chaos_rule.position
                        """, arguments: [reference.id])
            } else {
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.chaosColumns) FROM chaos_rule LEFT JOIN inbox ON inbox.id = chaos_rule.inbox_id
                        WHERE chaos_rule.inbox_id IS NULL ORDER BY chaos_rule.position
                        """)
            }
            return try Self.decodeChaos(rows).first
        }
    }

    @discardableResult
    public func setChaosRules(_ rules: ChaosRuleSet) async throws -> ChaosRuleSet {
        try ensureOpen()
        let revision = ChaosRuleSet.makeRevision()
        return try await writer.perform { db in
            var stored = rules
            stored.revision = revision
            let inboxID: Int64?
            if let inbox = rules.inbox {
                guard let reference = try InboxReference.find(inbox, in: db) else {
                    throw StoreError.inboxNotFound(inbox)
                }
                inboxID = reference.id
                stored.inbox = reference.name
                try db.execute(sql: "DELETE FROM chaos_rule WHERE inbox_id = ?", arguments: [reference.id])
            } else {
                inboxID = nil
                try db.execute(sql: "DELETE FROM chaos_rule WHERE inbox_id IS NULL")
            }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO chaos_rule (inbox_id, revision, position, seed, stage, reply, probability, times,
                        delay_ms, disconnect, match)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for index in stored.rules.indices {
                stored.rules[index].position = index
                stored.rules[index].hits = 0
                let columns = ChaosRuleColumns(stored.rules[index])
                try insert.execute(arguments: [
                    inboxID, revision, index, rules.seed.map { Int64(bitPattern: $0) }, columns.stage, columns.reply,
                    columns.probability, columns.times, columns.delayMilliseconds, columns.disconnect, columns.match,
                ])
            }
            return (stored, [])
        }
    }

    public func clearChaosRules(inbox: String?) async throws {
        try ensureOpen()
        try await writer.perform { db in
            if let inbox {
                guard let reference = try InboxReference.find(inbox, in: db) else {
                    throw StoreError.inboxNotFound(inbox)
                }
                try db.execute(sql: "DELETE FROM chaos_rule WHERE inbox_id = ?", arguments: [reference.id])
            } else {
                try db.execute(sql: "DELETE FROM chaos_rule WHERE inbox_id IS NULL")
            }
            return ((), [])
        }
    }

    public func recordChaosHits(_ hits: [ChaosHits]) async throws {
        try ensureOpen()
        guard !hits.isEmpty else { return }
        try await writer.perform { db in
            let add = try db.cachedStatement(
                sql: "UPDATE chaos_rule SET hits = hits + ? WHERE revision = ? AND position = ?")
            for hit in hits {
                try add.execute(arguments: [hit.count, hit.revision, hit.position])
            }
            try db.execute(sql: "DELETE FROM chaos_rule WHERE times IS NOT NULL AND hits >= times")
            return ((), [])
        }
    }

    /// Groups rows ordered by scope into sets.
    private static func decodeChaos(_ rows: [Row]) throws -> [ChaosRuleSet] {
        var sets = ChaosRuleSetAssembler()
        for row in rows {
            let inbox: String? = row[0]
            let revision: Int64 = row[1]
            let seed: Int64? = row[3]
            let rule = try ChaosRuleColumns.rule(
                stage: row[4], reply: row[5], probability: row[6], times: row[7], delayMilliseconds: row[8],
                disconnect: row[9], match: row[10], position: row[2], hits: row[11])
            try sets.add(rule, inbox: inbox, revision: revision, seed: seed)
        }
        return sets.sets
    }
}

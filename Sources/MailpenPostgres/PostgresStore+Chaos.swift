import MailpenChaos
import MailpenStore
import PostgresNIO

/// Chaos rules in the shared database: every node reads the same rules, and hits from every node add up
/// in one counter per rule (each an atomic `UPDATE`, so nodes never overwrite each other's hits).
extension PostgresStore: ChaosRuleStore {
    private typealias ChaosRow = (
        String?, Int64, Int32, Int64?, String, String?, Int32, Int64?, Int32, Bool, String?, Int64
    )

    private static let chaosColumns = ChaosRuleColumns.selected

    public func chaosRuleSets() async throws -> [ChaosRuleSet] {
        try ensureOpen()
        return try await pool.withConnection(retrying: true) { [self] connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.chaosColumns) FROM chaos_rule LEFT JOIN inbox ON inbox.id = chaos_rule.inbox_id
                ORDER BY chaos_rule.inbox_id NULLS FIRST, chaos_rule.position
                """, logger: logger)
            return try await Self.decodeChaos(rows)
        }
    }

    public func chaosRules(inbox: String?) async throws -> ChaosRuleSet? {
        try ensureOpen()
        return try await pool.withConnection(retrying: true) { [self] connection in
            guard let inbox else {
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.chaosColumns) FROM chaos_rule LEFT JOIN inbox ON false
                    WHERE chaos_rule.inbox_id IS NULL ORDER BY chaos_rule.position
                    """, logger: logger)
                return try await Self.decodeChaos(rows).first
            }
            guard
                let reference = try await PostgresInboxes.find([inbox.lowercased()], on: connection, logger: logger)
                    .first
            else { throw StoreError.inboxNotFound(inbox) }
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.chaosColumns) FROM chaos_rule JOIN inbox ON inbox.id = chaos_rule.inbox_id
                WHERE chaos_rule.inbox_id = \(reference.id) ORDER BY chaos_rule.position
                """, logger: logger)
            return try await Self.decodeChaos(rows).first
        }
    }

    @discardableResult
    public func setChaosRules(_ rules: ChaosRuleSet) async throws -> ChaosRuleSet {
        let revision = ChaosRuleSet.makeRevision()
        let logger = self.logger
        return try await change { connection in
            var stored = rules
            stored.revision = revision
            var inboxID: Int64?
            if let inbox = rules.inbox {
                guard let reference = try await PostgresInboxes.lock(inbox, on: connection, logger: logger) else {
                    throw StoreError.inboxNotFound(inbox)
                }
                inboxID = reference.id
                stored.inbox = reference.name
                try await connection.run("DELETE FROM chaos_rule WHERE inbox_id = \(reference.id)", logger: logger)
            } else {
                // Nodes setting the global rules at once take turns, so that one set wins whole.
                try await connection.run(
                    "SELECT pg_advisory_xact_lock(\(Self.chaosLock.0), \(Self.chaosLock.1))", logger: logger)
                try await connection.run("DELETE FROM chaos_rule WHERE inbox_id IS NULL", logger: logger)
            }
            let seed = rules.seed.map { Int64(bitPattern: $0) }
            for index in stored.rules.indices {
                stored.rules[index].position = index
                stored.rules[index].hits = 0
                let columns = ChaosRuleColumns(stored.rules[index])
                try await connection.run(
                    """
                    INSERT INTO chaos_rule (inbox_id, revision, position, seed, stage, reply, probability, times,
                        delay_ms, disconnect, match)
                    VALUES (\(inboxID), \(revision), \(Int32(index)), \(seed), \(columns.stage), \(columns.reply),
                        \(Int32(columns.probability)), \(columns.times.map(Int64.init)),
                        \(Int32(columns.delayMilliseconds)), \(columns.disconnect), \(columns.match))
                    """, logger: logger)
            }
            return (stored, [])
        }
    }

    public func clearChaosRules(inbox: String?) async throws {
        let logger = self.logger
        try await change { connection in
            if let inbox {
                guard let reference = try await PostgresInboxes.lock(inbox, on: connection, logger: logger) else {
                    throw StoreError.inboxNotFound(inbox)
                }
                try await connection.run("DELETE FROM chaos_rule WHERE inbox_id = \(reference.id)", logger: logger)
            } else {
                try await connection.run("DELETE FROM chaos_rule WHERE inbox_id IS NULL", logger: logger)
            }
            return ((), [])
        }
    }

    public func recordChaosHits(_ hits: [ChaosHits]) async throws {
        guard !hits.isEmpty else { return }
        try ensureOpen()
        let logger = self.logger
        try await pool.withTransaction { connection in
            for hit in hits {
                try await connection.run(
                    """
                    UPDATE chaos_rule SET hits = hits + \(Int64(hit.count))
                    WHERE revision = \(hit.revision) AND position = \(Int32(clamping: hit.position))
                    """, logger: logger)
            }
            try await connection.run(
                "DELETE FROM chaos_rule WHERE times IS NOT NULL AND hits >= times", logger: logger)
        }
    }

    /// The advisory lock (two 32-bit keys: 'mail', 4) held while the global rules are replaced.
    private static let chaosLock: (Int32, Int32) = (0x6D61_696C, 4)

    /// Groups rows ordered by scope into sets.
    private static func decodeChaos(_ rows: PostgresRowSequence) async throws -> [ChaosRuleSet] {
        var sets = ChaosRuleSetAssembler()
        for try await row in rows.decode(ChaosRow.self) {
            let (inbox, revision, position, seed, stage, reply, probability, times, delay, disconnect, match, hits) =
                row
            let rule = try ChaosRuleColumns.rule(
                stage: stage, reply: reply, probability: Int(probability), times: times.map { Int(clamping: $0) },
                delayMilliseconds: Int(delay), disconnect: disconnect, match: match, position: Int(position),
                hits: Int(clamping: hits))
            try sets.add(rule, inbox: inbox, revision: revision, seed: seed)
        }
        return sets.sets
    }
}

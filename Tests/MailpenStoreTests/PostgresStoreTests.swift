import Foundation
import MailpenTestSupport
import PostgresNIO
import Testing

@testable import MailpenPostgres
@testable import MailpenStore

/// PostgreSQL-only: several nodes on one database, its schema, and a server out of reach.
@Suite(
    "PostgreSQL store", .enabled(if: StoreBackend.postgresURL != nil, "\(StoreBackend.skipNote)"),
    .postgresTimeLimit)
struct PostgresStoreTests {
    /// A search of an inbox for a word reads no message's word vector (each is stored out of line, and
    /// reading them all is what made a word most messages contain take seconds at 100k messages): the rows
    /// come from the word index and the trigram index of the messages without a vector, with no test of
    /// the vector row by row. Checked on the plan of the statement a search runs, for a word alone, a word
    /// beside a negated phrase, a word too long for any vector, and a word beside negated field terms
    /// (whose texts are out of line too).
    @Test func wordSearchesReadNoWordVector() async throws {
        try await withPostgresStore { store, url in
            _ = try await storeSearchable(
                (0..<20).map { incoming("Subject: \($0)\r\n\r\nwarehouse \($0)\r\n") }, in: store)
            // Enough rows, copied in SQL, that the planner weighs its choices as it would for a real inbox.
            try await withPostgresConnection(url) { connection in
                try await Self.copyFirstMessage(5000, on: connection)
                try await connection.run(
                    """
                    INSERT INTO message_search (seq, inbox_id, id, received_at, size, attachment_count, words, addr_from,
                        addr_to, addr_cc, addr_bcc, addr_reply_to, addr_all, rcpt, subject, message_id, headers)
                    SELECT 1000 + n, s.inbox_id, s.id || '-' || n, s.received_at, s.size, 0, s.words, s.addr_from,
                        s.addr_to, s.addr_cc, s.addr_bcc, s.addr_reply_to, s.addr_all, s.rcpt, s.subject, s.message_id,
                        s.headers
                    FROM message_search s, generate_series(1, 5000) n WHERE s.seq = (SELECT min(seq) FROM message_search)
                    """, logger: testLogger)
                try await connection.run("ANALYZE message_search", logger: testLogger)
            }
            let texts = [
                "warehouse", "warehouse -\"no such phrase\"", String(repeating: "w", count: 300),
                "warehouse -from:alice -subject:invoice",
            ]
            let outOfLine = ["words", "tokens", "addr_from", "subject"]
            for text in texts {
                let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: text))
                let plan = try await Self.plan(of: PostgresStore.pageStatement(query, limit: 50, offset: 0), url)
                // The one test of `tokens` allowed row by row is the exactness check of word sets, which
                // stops at a null `tokens` (every message with a vector) without reading anything.
                let rowTests = plan.map(Self.withoutWordSetCheck).filter { line in
                    line.contains("Filter:") && outOfLine.contains { line.contains($0) }
                }
                #expect(rowTests.isEmpty, "\(text): \(plan.joined(separator: "\n"))")
            }
        }
    }

    /// `line` without the check that a message's text holds what its word set matched: from
    /// `(tokens IS NULL) OR (word_set IS NULL) OR ` to the end of the parenthesis that follows it.
    static func withoutWordSetCheck(_ line: String) -> String {
        var line = line
        let guardText = "(tokens IS NULL) OR (word_set IS NULL) OR "
        while let start = line.range(of: guardText) {
            var depth = 0
            var end = start.upperBound
            while end < line.endIndex {
                if line[end] == "(" { depth += 1 }
                if line[end] == ")" {
                    depth -= 1
                    if depth == 0 {
                        end = line.index(after: end)
                        break
                    }
                }
                end = line.index(after: end)
            }
            line.replaceSubrange(start.lowerBound..<end, with: "true")
        }
        return line
    }

    /// A node keeps each searched term's rows and later reads only the rows committed since. Nodes commit
    /// out of row order: here a transaction that took its row id before a message was stored commits after
    /// that message has been searched for. The next searches find it — the rows after the largest one seen
    /// would miss it — for every kind of kept term.
    @Test func keptTermRowsCatchUpWithCommitsOutOfRowOrder() async throws {
        try await withPostgresStore { store, url in
            let first = try await searchable(
                "From: ann@example.test\r\nSubject: alpha one\r\nX-Batch: 1\r\n\r\nwarehouse\r\n", in: store)
            try await withPostgresConnection(url) { late in
                try await late.run("BEGIN", logger: testLogger)
                var lateSeq: Int64 = 0
                // The row id, and a transaction id: the transaction is running when the searches below take
                // their snapshots.
                for try await (seq, _) in try await late.query(
                    "SELECT nextval('message_seq'), pg_current_xact_id()::text", logger: testLogger
                ).decode((Int64, String).self) {
                    lateSeq = seq
                }
                let second = try await searchable(
                    "From: ann@example.test\r\nSubject: alpha two\r\nX-Batch: 1\r\n\r\nwarehouse\r\n", in: store)
                let texts = [
                    "warehouse", "\"alpha two\"", "subject:alpha", "from:ann", "larger:1", "header:X-Batch=1",
                    "-omega", "warehouse -from:zz",
                ]
                func expectFound(_ ids: [String], _ comment: Comment) async throws {
                    for text in texts where text != "\"alpha two\"" {
                        let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: text))
                        let page = try await store.messages(query, limit: 10, offset: 0)
                        #expect(page.messages.map(\.id) == ids, "\(text), \(comment)")
                        #expect(page.total == ids.count && page.unread == ids.count, "\(text), \(comment)")
                    }
                }
                try await expectFound([second.id, first.id], "before the late commit")
                #expect(await store.termRows.kept.count == 7, "each distinct term is kept")
                // A copy of the first message under the row id taken before the second's, committed now.
                try await late.run(
                    """
                    INSERT INTO message (seq, id, inbox_id, received_at, size, envelope, mail_from, recipients,
                        subject, from_list, to_list, cc_list, bcc_list, reply_to_list, snippet, attachment_count)
                    SELECT \(lateSeq), 'late', inbox_id, received_at, size, envelope, mail_from, recipients, subject,
                        from_list, to_list, cc_list, bcc_list, reply_to_list, snippet, attachment_count
                    FROM message WHERE id = \(first.id)
                    """, logger: testLogger)
                try await late.run(
                    """
                    INSERT INTO message_search (seq, inbox_id, id, received_at, size, attachment_count, words, tokens,
                        addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to, addr_all, rcpt, subject, message_id,
                        headers)
                    SELECT \(lateSeq), inbox_id, 'late', received_at, size, attachment_count, words, tokens, addr_from,
                        addr_to, addr_cc, addr_bcc, addr_reply_to, addr_all, rcpt, subject, message_id, headers
                    FROM message_search WHERE id = \(first.id)
                    """, logger: testLogger)
                try await late.run(
                    """
                    INSERT INTO message_header (name, seq, value)
                    SELECT name, \(lateSeq), value FROM message_header
                    WHERE seq = (SELECT seq FROM message WHERE id = \(first.id))
                    """, logger: testLogger)
                // As the writer does, the inbox's counters change in the same transaction.
                try await late.run(
                    """
                    UPDATE inbox SET message_count = message_count + 1, unread_count = unread_count + 1
                    WHERE id = (SELECT inbox_id FROM message WHERE id = \(first.id))
                    """, logger: testLogger)
                try await late.run("COMMIT", logger: testLogger)
                try await expectFound([second.id, "late", first.id], "after the late commit")
                let phrase = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "\"alpha two\""))
                #expect(try await store.messages(phrase, limit: 10, offset: 0).messages.map(\.id) == [second.id])
            }
        }
    }

    /// A node keeps an inbox's members and unread flags between searches and brings them up to date with
    /// new mail alone. A deletion beside new mail, and flags changed so that the unread count stays the same,
    /// must each make it read them again.
    @Test func keptInboxMembersFollowDeletionsAndFlags() async throws {
        try await withPostgresStore { store, _ in
            var ids: [String] = []
            for index in 0..<4 { ids.append(try await searchable("Subject: \(index)\r\n\r\nalpha\r\n", in: store).id) }
            _ = try await store.setRead(id: ids[1], true)
            func expect(_ text: String, _ expected: [String], _ comment: Comment) async throws {
                let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: text))
                let page = try await store.messages(query, limit: 10, offset: 0)
                #expect(page.messages.map(\.id) == expected.reversed(), "\(text), \(comment)")
                #expect(page.total == expected.count, "\(text), \(comment)")
            }
            try await expect("alpha is:unread", [ids[0], ids[2], ids[3]], "first search")
            #expect(await store.memberships.all[1] != nil)

            try await store.deleteMessage(id: ids.remove(at: 2))
            ids.append(try await searchable("Subject: 4\r\n\r\nalpha\r\n", in: store).id)
            try await expect("alpha", ids, "after a deletion and new mail")

            _ = try await store.setRead(id: ids[0], true)
            _ = try await store.setRead(id: ids[1], false)
            try await expect("alpha is:unread", [ids[1], ids[2], ids[3]], "after flags that keep the unread count")
        }
    }

    /// A list page deep in an inbox is picked from the members the node keeps, brought up to date with new
    /// mail and read again after a deletion or a flag change: it must be the page, with the totals, that the
    /// walk down the inbox's index gives.
    @Test func deepListPagesFromKeptMembersMatchTheIndexWalk() async throws {
        try await withPostgresDatabase { url in
            var configuration = PostgresStore.Configuration(url: url, poolSize: 2)
            configuration.deepListOffset = 10
            let store = try await PostgresStore.open(configuration, logger: testLogger)
            var ids: [String] = []
            func send(_ count: Int) async throws {
                for index in 0..<count { ids.append(try await store.store(incoming("Subject: \(index)\r\n\r\n")).id) }
            }
            func expectSamePages(_ comment: Comment) async throws {
                for offset in [10, 17, 40] {
                    let query = MessageQuery(inbox: "default")
                    let kept = try await store.messages(query, limit: 5, offset: offset)
                    let walked = try await store.messagesInOneStatement(query, limit: 5, offset: offset)
                    #expect(kept == walked, "offset \(offset), \(comment)")
                }
            }
            try await send(30)
            try await expectSamePages("first pages")
            #expect(await store.memberships.all[1] != nil, "the members are kept")
            try await send(5)
            try await expectSamePages("after new mail")
            try await store.deleteMessage(id: ids.remove(at: 3))
            _ = try await store.setRead(id: ids[4], true)
            try await expectSamePages("after a deletion and a read flag")
            try await store.close()
        }
    }

    /// Terms that no index answers are each a pass over every message when first read in every inbox: a
    /// search with several of them, or with one in an inbox small beside the database, is one statement
    /// over the inbox instead, and keeps nothing; its answer is the same.
    @Test func unindexedTermsInSmallInboxesAreOneStatement() async throws {
        try await withPostgresStore { store, _ in
            for index in 0..<20 { _ = try await store.store(incoming("Subject: \(index)\r\n\r\nbody\r\n")) }
            _ = try await store.createInbox(named: "tiny")
            _ = try await store.store(incoming("Subject: tiny\r\n\r\nbody\r\n", inbox: "tiny"))
            let cases = [
                ("default", "larger:1 smaller:100000 -has:attachment"),
                ("tiny", "larger:1"),
                ("default", "-from:zz -before:2000-01-01 -header:\(String(repeating: "x", count: 300))"),
            ]
            for (inbox, text) in cases {
                let query = MessageQuery(inbox: inbox, search: try SearchQuery(parsing: text))
                let page = try await store.messages(query, limit: 50, offset: 0)
                #expect(page == (try await store.messagesInOneStatement(query, limit: 50, offset: 0)), "\(text)")
                #expect(page.total == (inbox == "tiny" ? 1 : 20), "\(text)")
                #expect(await store.termRows.kept.isEmpty, "\(inbox): \(text)")
            }
            // One such term in the large inbox is read and kept.
            let one = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "larger:1"))
            #expect(try await store.messages(one, limit: 50, offset: 0).total == 20)
            #expect(await store.termRows.kept.keys.contains(.largerThan(1)))
        }
    }

    /// Rows kept from another server (a restart, a promoted replica) are not brought up to date by
    /// transaction id: they are read afresh.
    @Test func rowsKeptFromAnotherServerAreNotUsed() {
        let key = PostgresTermKey.hasAttachment
        let entry = PostgresTermReader.Entry(
            rows: RowSet(largest: 10), through: 10, snapshot: ReadMark(server: "100.5", snapshot: "7:7:").text)
        let here = PostgresTermReader(
            kept: [key: entry], mark: ReadMark(server: "100.5", snapshot: "9:9:"), largest: 12)
        #expect(here.keptEntry(key) != nil)
        let promoted = PostgresTermReader(
            kept: [key: entry], mark: ReadMark(server: "200.25", snapshot: "9:9:"), largest: 12)
        #expect(promoted.keptEntry(key) == nil)
        #expect(
            ReadMark(ReadMark(server: "100.5", snapshot: "7:9:8").text) == ReadMark(server: "100.5", snapshot: "7:9:8"))
    }

    /// Inbox members kept from another server are read afresh too, however well their counts fit: here
    /// they are made to look current (the counters match) while holding the wrong rows.
    @Test func membersKeptFromAnotherServerAreReadAfresh() async throws {
        try await withPostgresStore { store, _ in
            var ids: [String] = []
            for index in 0..<3 { ids.append(try await searchable("Subject: \(index)\r\n\r\nalpha\r\n", in: store).id) }
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "alpha is:unread"))
            #expect(try await store.messages(query, limit: 10, offset: 0).total == 3)
            var kept = try #require(await store.memberships.all[1])
            // Three rows, all unread, as the counters say, but not the inbox's: rows 100 to 102.
            var wrong = RowSet(largest: 200)
            for row in Int64(100)...102 { wrong.insert(row) }
            kept.members = wrong
            kept.unread = wrong
            kept.through = 200
            kept.mark = ReadMark(server: "another", snapshot: kept.mark.snapshot)
            await store.memberships.remember(kept, of: 1)
            _ = try await store.store(incoming("Subject: 3\r\n\r\nomega\r\n"))  // so that the snapshot differs
            let page = try await store.messages(query, limit: 10, offset: 0)
            #expect(page.messages.map(\.id) == ids.reversed())
            #expect(page.total == 3)
        }
    }

    /// Stores `raw` and returns once its search texts are filled.
    private func searchable(_ raw: String, in store: PostgresStore) async throws -> MessageSummary {
        try await storeSearchable([incoming(raw)], in: store)[0]
    }

    /// Random mail, deletions, read flags and queries of every kept term shape, round after round: the
    /// answers with the terms and inbox members kept from earlier searches must equal those read afresh,
    /// and those of one SQL statement, which keeps nothing.
    @Test func keptAndFreshAnswersAgree() async throws {
        var corpus = RandomSearchCorpus(seed: 0x5EED_2026_1206)
        let queries = corpus.queries(40)
        try await withPostgresStore { store, _ in
            var ids: [String] = []
            func answers(_ read: (MessageQuery) async throws -> MessagePage) async throws -> [String: [String]] {
                var found: [String: [String]] = [:]
                for text in queries {
                    let page = try await read(MessageQuery(inbox: "default", search: try SearchQuery(parsing: text)))
                    found[text] = page.messages.map(\.id) + ["total \(page.total)", "unread \(page.unread)"]
                }
                return found
            }
            for round in 0..<6 {
                ids += try await storeSearchable(corpus.messages().map { incoming($0) }, in: store).map(\.id)
                for index in corpus.deletions(among: ids.count) {
                    try await store.deleteMessage(id: ids.remove(at: index))
                }
                for _ in 0..<corpus.below(4) { _ = try await store.setRead(id: ids[corpus.below(ids.count)], true) }
                let kept = try await answers { try await store.messages($0, limit: 1000, offset: 0) }
                #expect(await !store.termRows.kept.isEmpty)
                await store.termRows.forgetAll()
                await store.memberships.forgetAll()
                let fresh = try await answers { try await store.messages($0, limit: 1000, offset: 0) }
                let sql = try await answers { try await store.messagesInOneStatement($0, limit: 1000, offset: 0) }
                for text in queries {
                    #expect(kept[text] == fresh[text], "round \(round): \(text), kept against fresh")
                    #expect(fresh[text] == sql[text], "round \(round): \(text), row sets against SQL")
                }
            }
        }
    }

    /// A page deep in an inbox skips its offset in the inbox's index without reading the rows it skips, once
    /// vacuum has marked them visible (the table asks autovacuum to keep up with inserts).
    @Test func deepListPagesSkipTheirOffsetInTheIndex() async throws {
        try await withPostgresStore { store, url in
            // Filled first: a fill locks its messages' rows, which takes their pages out of the visibility map.
            _ = try await storeSearchable((0..<20).map { incoming("Subject: \($0)\r\n\r\nbody\r\n") }, in: store)
            try await withPostgresConnection(url) { connection in
                try await Self.copyFirstMessage(5000, on: connection)
            }
            let query = MessageQuery(inbox: "default")
            // Vacuum skips a page it cannot lock at once (a reader holds it), which a loaded machine sees now
            // and then: the next vacuum marks it.
            var plan: [String] = []
            for _ in 0..<3 {
                try await withPostgresConnection(url) { connection in
                    try await connection.run("VACUUM (ANALYZE) message", logger: testLogger)
                }
                plan = try await Self.plan(
                    of: PostgresStore.pageStatement(query, limit: 50, offset: 3000), url, analyze: true)
                if plan.contains(where: { $0.contains("Heap Fetches: 0") }) { break }
            }
            #expect(
                plan.contains { $0.contains("Index Only Scan Backward using message_by_inbox") },
                "\(plan.joined(separator: "\n"))")
            #expect(plan.contains { $0.contains("Heap Fetches: 0") }, "\(plan.joined(separator: "\n"))")
            let page = try await store.messages(query, limit: 50, offset: 3000)
            #expect(page.messages.count == 50)
            // Newest first: the copies numbered 2000 down to 1951.
            #expect(zip(page.messages, (1951...2000).reversed()).allSatisfy { $0.id.hasSuffix("-\($1)") })
        }
    }

    /// Messages stored before the header table existed are found by `header:` once a node has migrated the
    /// database: the migration fills the table from the stored header lines, as the writer fills it for new
    /// mail. A name too long for the table is answered from the header text.
    @Test func headerLinesStoredBeforeTheHeaderTableAreFoundAfterTheUpgrade() async throws {
        let longName = "x-" + String(repeating: "n", count: HeaderRows.longestName)
        try await withPostgresDatabase { url in
            let first = try await PostgresStore.open(.init(url: url, poolSize: 2), logger: testLogger)
            let raws = [
                "X-Campaign: spring sale\r\nX-Campaign: winter\r\nX-Note: a: b\r\nSubject: one\r\n\r\nbody\r\n",
                "X-Campaign: autumn\r\n\(longName): long\r\nSubject: two\r\n\r\nbody\r\n",
                "Subject: three\r\n\r\nbody\r\n",
            ]
            let ids = try await storeSearchable(raws.map { incoming($0) }, in: first).map(\.id)
            try await first.close()
            // Back to the schema before the table: the lines are only in the header text.
            try await withPostgresConnection(url) { connection in
                try await connection.run("DROP TABLE message_header", logger: testLogger)
                try await connection.run("DROP STATISTICS message_search_inbox", logger: testLogger)
                try await connection.run("DELETE FROM mailpen_migration WHERE version = 7", logger: testLogger)
            }
            let upgraded = try await PostgresStore.open(.init(url: url, poolSize: 2), logger: testLogger)
            let cases: [(String, [String])] = [
                ("header:X-Campaign", [ids[1], ids[0]]),
                ("header:X-Campaign=spring", [ids[0]]),
                ("header:X-Campaign=\"spring sale\"", [ids[0]]),
                ("header:X-Note=\"a: b\"", [ids[0]]),
                ("-header:X-Campaign", [ids[2]]),
                ("header:\(longName)=long", [ids[1]]),
                ("header:X-Campaign=summer", []),
            ]
            for (text, expected) in cases {
                let page = try await upgraded.messages(
                    MessageQuery(inbox: "default", search: try SearchQuery(parsing: text)), limit: 50, offset: 0)
                #expect(page.messages.map(\.id) == expected, "\(text)")
            }
            let rows = try await withPostgresConnection(url) { connection in
                var count = 0
                for try await n in try await connection.query("SELECT count(*) FROM message_header", logger: testLogger)
                    .decode(Int.self)
                {
                    count = n
                }
                return count
            }
            // one: X-Campaign twice, X-Note, Subject; two: X-Campaign, Subject (the long name is left out);
            // three: Subject.
            #expect(rows == 7)
            try await upgraded.close()
        }
    }

    /// Autovacuum keeps up with inserts on `message` and `message_header`, which list pages and `header:`
    /// walk by index alone where vacuum has marked the rows visible: a new database has the setting, and a
    /// database made before it gets it from its migration.
    @Test func walkedTablesAskAutovacuumToKeepUpWithInserts() async throws {
        func insertScaleFactors(_ url: PostgresURL) async throws -> [String: String] {
            try await withPostgresConnection(url) { connection in
                var found: [String: String] = [:]
                let rows = try await connection.query(
                    """
                    SELECT relname, coalesce(array_to_string(reloptions, ','), '') FROM pg_class
                    WHERE relname IN ('message', 'message_header') AND relkind = 'r'
                    """, logger: testLogger)
                for try await (table, options) in rows.decode((String, String).self) {
                    found[table] =
                        options.split(separator: ",").first {
                            $0.hasPrefix("autovacuum_vacuum_insert_scale_factor=")
                        }.map(String.init) ?? "unset"
                }
                return found
            }
        }
        let expected = "autovacuum_vacuum_insert_scale_factor=0.02"
        try await withPostgresDatabase { url in
            try await PostgresStore.open(.init(url: url, poolSize: 2), logger: testLogger).close()
            #expect(try await insertScaleFactors(url) == ["message": expected, "message_header": expected])
            // Back to the schema before the setting.
            try await withPostgresConnection(url) { connection in
                try await connection.run(
                    "ALTER TABLE message RESET (autovacuum_vacuum_insert_scale_factor)", logger: testLogger)
                try await connection.run("DELETE FROM mailpen_migration WHERE version = 6", logger: testLogger)
            }
            #expect(try await insertScaleFactors(url)["message"] == "unset")
            try await PostgresStore.open(.init(url: url, poolSize: 2), logger: testLogger).close()
            #expect(try await insertScaleFactors(url) == ["message": expected, "message_header": expected])
        }
    }

    /// The webhook sender asks for each URL's first unfinished delivery after every stored message, while
    /// deliveries pile up behind an endpoint that hangs: every read of the queue is a hop in the pending
    /// index with a condition, never a walk of the whole index or the table.
    @Test func webhookHeadsHopThroughThePendingIndex() async throws {
        try await withPostgresStore { _, url in
            // Run, not only planned: a plain EXPLAIN leaves out the recursive step's subquery.
            let plan = try await Self.plan(of: PostgresQuery(unsafeSQL: WebhookHeads.sql), url, analyze: true)
            let text = plan.joined(separator: "\n")
            let reads = plan.indices.filter { plan[$0].contains("on webhook_delivery") }
            #expect(reads.count == 3, "\(text)")
            for read in reads {
                #expect(plan[read].contains("using webhook_delivery_pending"), "\(text)")
                #expect(plan.indices.contains(read + 1) && plan[read + 1].contains("Index Cond:"), "\(text)")
            }
        }
    }

    /// A query that can only scan a table (the inbox list) is not compiled: under `enable_seqscan = off` its
    /// plan's cost passes `jit_above_cost`, and compiling took longer than the query by far.
    @Test func readsAreNotCompiled() async throws {
        try await withPostgresStore { store, url in
            _ = try await store.store(incoming("Subject: one\r\n\r\nbody\r\n"))
            let statement: PostgresQuery = "SELECT name FROM inbox ORDER BY name <> \("default"), name_key"
            let plan = try await Self.plan(of: statement, url, analyze: true)
            #expect(plan.contains { $0.contains("Seq Scan on inbox") }, "\(plan.joined(separator: "\n"))")
            #expect(!plan.contains { $0.hasPrefix("JIT:") }, "\(plan.joined(separator: "\n"))")
        }
    }

    /// Copies the oldest message `count` times in SQL (numbered 1000 + n, ids suffixed `-n`): enough rows
    /// that the planner weighs its choices as it would for a real inbox.
    private static func copyFirstMessage(_ count: Int, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO message (seq, id, inbox_id, received_at, size, envelope, mail_from, recipients,
                subject, from_list, to_list, cc_list, bcc_list, reply_to_list, snippet, attachment_count)
            SELECT 1000 + n, m.id || '-' || n, m.inbox_id, m.received_at, m.size, m.envelope, m.mail_from,
                m.recipients, m.subject, m.from_list, m.to_list, m.cc_list, m.bcc_list, m.reply_to_list,
                m.snippet, 0
            FROM message m, generate_series(1, \(count)) n WHERE m.seq = (SELECT min(seq) FROM message)
            """, logger: testLogger)
    }

    /// The lines of `statement`'s plan on a connection with the store's read settings; `analyze` runs it.
    private static func plan(of statement: PostgresQuery, _ url: PostgresURL, analyze: Bool = false) async throws
        -> [String]
    {
        try await withPostgresConnection(url) { connection in
            for (name, value) in PostgresStore.readSettings {
                try await connection.run(PostgresQuery(unsafeSQL: "SET \(name) = '\(value)'"), logger: testLogger)
            }
            let explain = PostgresQuery(
                unsafeSQL: (analyze ? "EXPLAIN (ANALYZE) " : "EXPLAIN ") + statement.sql, binds: statement.binds)
            var lines: [String] = []
            for try await line in try await connection.query(explain, logger: testLogger).decode(String.self) {
                lines.append(line)
            }
            return lines
        }
    }

    /// List queries never read the bytes: they live in a table of their own. (That they come back exactly
    /// is in ``StoreTests``.)
    @Test func rawBytesAreKeptOutOfTheMessageTable() async throws {
        try await withPostgresStore { store, url in
            _ = try await store.store(incoming("Subject: bytes\r\n\r\nbody\r\n"))
            let columns = try await withPostgresConnection(url) { connection in
                var names: [String] = []
                for try await name in try await connection.query(
                    "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'message'",
                    logger: testLogger
                ).decode(String.self) {
                    names.append(name)
                }
                return names
            }
            #expect(!columns.isEmpty)
            #expect(!columns.contains("raw"))
        }
    }

    /// Nodes starting together on an empty database: one applies the migrations, the others wait for its
    /// lock and find them applied; none fails.
    @Test func nodesStartingTogetherMigrateOnce() async throws {
        try await withPostgresDatabase { url in
            let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresStore.open(.init(url: url, poolSize: 2)) } }
                return try await group.reduce(into: [PostgresStore]()) { $0.append($1) }
            }
            #expect(stores.count == 4)
            for store in stores { try await store.close() }
            let versions = try await withPostgresConnection(url) { connection in
                var versions: [Int] = []
                for try await version in try await connection.query(
                    "SELECT version FROM mailpen_migration ORDER BY version", logger: testLogger
                ).decode(Int.self) {
                    versions.append(version)
                }
                return versions
            }
            #expect(versions == PostgresSchema.migrations.map(\.version))
            #expect(try await PostgresStore.migrate(url).isEmpty)
        }
    }

    /// Two nodes on one database: a wait and a change stream on B see what A stores, changes on B show on
    /// A, an inbox made on A (with its SMTP password) is known to B at once.
    @Test func twoNodesSeeEachOthersChanges() async throws {
        try await withTwoNodes { a, b in
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:\"order 7\""))
            let onA = await a.subscribe()
            let onB = await b.subscribe()
            let waiting = try await beginWait(on: b) {
                try await b.waitForMessages(query, count: 1, timeout: .seconds(20))
            }
            _ = try await a.store(incoming("Subject: order 6\r\n\r\nnot this one\r\n"))
            let stored = try await a.store(incoming("Subject: Order 7\r\n\r\nthis one\r\n"))
            #expect(try await waiting.value.map(\.id) == [stored.id])

            var bEvents = onB.makeAsyncIterator()
            var seenOnB: [StoreEvent] = []
            while seenOnB.count < 2, let event = try await bEvents.next() { seenOnB.append(event) }
            #expect(seenOnB.last == .stored(stored))

            let read = try await b.setRead(id: stored.id, true)
            var aEvents = onA.makeAsyncIterator()
            var seenOnA: [StoreEvent] = []
            // A loads a changed message's summary when told of the change: B deletes the message only once A
            // has it, or A would find it gone and rightly publish the deletion alone.
            while seenOnA.count < 3, let event = try await aEvents.next() { seenOnA.append(event) }
            try await b.deleteMessage(id: stored.id)
            // A hears of B's deletion before it makes an inbox, whose news it publishes at once: otherwise the
            // two could come in either order.
            while seenOnA.count < 4, let event = try await aEvents.next() { seenOnA.append(event) }
            let shop = try await a.createInbox(named: "shop", password: "s3cret")
            while seenOnA.count < 5, let event = try await aEvents.next() { seenOnA.append(event) }
            #expect(
                seenOnA.suffix(3) == [
                    .updated(read), .deleted(inbox: "default", ids: [stored.id]),
                    .inbox(name: "shop", change: .created),
                ])
            #expect(try await a.summary(id: stored.id) == nil)
            #expect(try await b.inbox(named: "SHOP")?.smtpPassword == shop.smtpPassword)
            // B's writer learns of the new inbox too.
            let intoShop = try await b.store(incoming("Subject: x\r\n\r\n", inbox: "shop"))
            #expect(intoShop.inbox == "shop")
        }
    }

    /// A message's search texts are filled behind the writer: until then it is listed and matched by its
    /// columns, no text term finds it and a negated one does (as on SQLite before its index has it). A node
    /// fills the rows another left without texts when it starts, and the other node hears of it and finds
    /// them too, its kept rows brought up to date; no row is filled twice.
    @Test func searchTextsAreFilledBehindTheWriterByAnyNode() async throws {
        try await withPostgresDatabase { url in
            var idle = PostgresStore.Configuration(url: url, poolSize: 2)
            idle.fillsSearchTexts = false
            let a = try await PostgresStore.open(idle, logger: testLogger)
            let raws = [
                "From: ann@example.test\r\nSubject: invoice one\r\nX-Campaign: spring\r\n\r\nwarehouse\r\n",
                "Subject: two\r\n\r\nparcel\r\n",
            ]
            var ids: [String] = []
            for raw in raws { ids.append(try await a.store(incoming(raw)).id) }
            func found(_ store: PostgresStore, _ text: String) async throws -> [String] {
                let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: text))
                return try await store.messages(query, limit: 10, offset: 0).messages.map(\.id)
            }
            #expect(try await a.messages(MessageQuery(inbox: "default"), limit: 10, offset: 0).total == 2)
            #expect(try await found(a, "larger:1") == ids.reversed())
            for text in ["warehouse", "from:ann", "subject:invoice", "header:X-Campaign=spring"] {
                #expect(try await found(a, text).isEmpty, "\(text) before the texts are filled")
            }
            #expect(try await found(a, "-warehouse") == ids.reversed())

            let announced = await a.indexed.subscribe(bufferSize: 16)
            let b = try await PostgresStore.open(.init(url: url, poolSize: 2), logger: testLogger)
            var unfilled = Set(ids)
            for try await news in announced {
                unfilled.subtract(news.ids)
                if unfilled.isEmpty { break }
            }
            for (name, store) in [("a", a), ("b", b)] {
                #expect(try await found(store, "warehouse") == [ids[0]], "\(name)")
                #expect(try await found(store, "from:ann subject:invoice") == [ids[0]], "\(name)")
                #expect(try await found(store, "header:X-Campaign=spring") == [ids[0]], "\(name)")
                #expect(try await found(store, "-warehouse") == [ids[1]], "\(name)")
            }
            #expect(try await Self.count("SELECT count(*) FROM message_search WHERE addr_all IS NULL", url) == 0)
            #expect(try await Self.count(Self.repeatedHeaderLines, url) == 0)
            try await a.close()
            try await b.close()
        }
    }

    /// A wait for a text on node B is answered when node A stores the message, though A fills no texts:
    /// B, told of A's mail while a request waits, fills them itself.
    @Test func aWaitingNodeFillsTheTextsOfAnotherNodesMail() async throws {
        try await withPostgresDatabase { url in
            var idle = PostgresStore.Configuration(url: url, poolSize: 2)
            idle.fillsSearchTexts = false
            let a = try await PostgresStore.open(idle, logger: testLogger)
            let b = try await PostgresStore.open(.init(url: url, poolSize: 2), logger: testLogger)
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:tangerine"))
            let waiting = try await beginWait(on: b) {
                try await b.waitForMessages(query, count: 1, timeout: .seconds(20))
            }
            _ = try await a.store(incoming("Subject: apple\r\n\r\n"))
            let stored = try await a.store(incoming("Subject: Tangerine\r\n\r\n"))
            #expect(try await waiting.value.map(\.id) == [stored.id])
            try await a.close()
            try await b.close()
        }
    }

    /// Nodes storing and filling at the same time claim different rows: every message gets its texts, and
    /// its header lines, once.
    @Test func nodesFillingTogetherFillEachRowOnce() async throws {
        try await withTwoNodes { a, b in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (node, store) in [(0, a), (1, b)] {
                    group.addTask {
                        for index in 0..<60 {
                            _ = try await store.store(
                                incoming("Subject: \(node)-\(index)\r\nX-Batch: \(index)\r\n\r\n"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            var left = 1
            for _ in 0..<500 where left > 0 {
                left = try await Self.count("SELECT count(*) FROM message_search WHERE addr_all IS NULL", a)
                if left > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(left == 0)
            #expect(
                try await Self.count("SELECT count(DISTINCT seq) FROM message_header WHERE name = 'x-batch'", a) == 120)
            #expect(try await Self.count(Self.repeatedHeaderLines, a) == 0)
        }
    }

    /// A message whose texts the database refuses does not hold up the others: the batch is filled again a
    /// message at a time, and that message gets empty texts (a trigger refuses one subject here).
    @Test func aMessageWhoseTextsAreRefusedHoldsUpNoOther() async throws {
        try await withPostgresDatabase { url in
            var idle = PostgresStore.Configuration(url: url, poolSize: 2)
            idle.fillsSearchTexts = false
            let a = try await PostgresStore.open(idle, logger: testLogger)
            try await withPostgresConnection(url) { connection in
                try await connection.run(
                    """
                    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'refused'; END $$
                    """, logger: testLogger)
                try await connection.run(
                    """
                    CREATE TRIGGER refuse_poison BEFORE UPDATE ON message_search FOR EACH ROW
                    WHEN (NEW.subject LIKE '%poison%') EXECUTE FUNCTION refuse_poison()
                    """, logger: testLogger)
            }
            var ids: [String] = []
            for subject in ["first apple", "poison pear", "last plum"] {
                ids.append(try await a.store(incoming("Subject: \(subject)\r\n\r\nfruit\r\n")).id)
            }
            let b = try await PostgresStore.open(.init(url: url, poolSize: 2), logger: testLogger)
            var left = 1
            for _ in 0..<500 where left > 0 {
                left = try await Self.count("SELECT count(*) FROM message_search WHERE addr_all IS NULL", b)
                if left > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(left == 0, "every row left the queue")
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "fruit"))
            #expect(try await b.messages(query, limit: 10, offset: 0).messages.map(\.id) == [ids[2], ids[0]])
            try await a.close()
            try await b.close()
        }
    }

    /// Header lines stored more than once.
    private static let repeatedHeaderLines =
        "SELECT count(*) FROM (SELECT 1 FROM message_header GROUP BY name, seq, value HAVING count(*) > 1) d"

    /// The count a `SELECT count(*)` gives, on a connection of its own.
    private static func count(_ sql: String, _ url: PostgresURL) async throws -> Int {
        try await withPostgresConnection(url) { connection in try await count(sql, on: connection) }
    }

    /// The count a `SELECT count(*)` gives, on a connection of the store's pool.
    private static func count(_ sql: String, _ store: PostgresStore) async throws -> Int {
        try await store.pool.withConnection { connection in try await count(sql, on: connection) }
    }

    private static func count(_ sql: String, on connection: PostgresConnection) async throws -> Int {
        var count = 0
        for try await n in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: testLogger).decode(
            Int.self)
        {
            count = n
        }
        return count
    }

    /// When the connection that listens for other nodes is cut, subscribers are told to reload (their
    /// stream ends with fellBehind), the node forgets the term rows it kept, a pending wait still gets its
    /// mail, and the node listens again.
    @Test func aLostListenerReconnectsAndResyncs() async throws {
        try await withPostgresDatabase { url in
            let a = try await PostgresStore.open(.init(url: url, poolSize: 2))
            let b = try await PostgresStore.open(.init(url: url, poolSize: 2))
            defer {
                Task {
                    try? await a.close()
                    try? await b.close()
                }
            }
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "after-the-cut"))
            let stream = await b.subscribe()
            let waiting = try await beginWait(on: b) {
                try await b.waitForMessages(query, count: 1, timeout: .seconds(20))
            }
            let kept = PostgresTermKey.text(Array("kept".utf8), isPhrase: false)
            let search = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "kept"))
            _ = try await b.messages(search, limit: 10, offset: 0)
            #expect(await b.termRows.kept[kept] != nil)
            let cut = try await withPostgresConnection(url) { connection in
                var count = 0
                for try await _ in try await connection.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                    """, logger: testLogger)
                {
                    count += 1
                }
                return count
            }
            #expect(cut == 2)
            await #expect(throws: ChangeFeedError.fellBehind) {
                for try await _ in stream {}
            }
            // The server may be another one now (a failover), whose transaction ids the kept rows cannot trust.
            #expect(await b.termRows.kept[kept] == nil, "the node forgot the rows it kept")
            #expect(await b.health() == .healthy)
            let stored = try await a.store(incoming("Subject: after-the-cut\r\n\r\n"))
            #expect(try await waiting.value.map(\.id) == [stored.id])
        }
    }

    /// A server that is not there: the store says so, as `unavailable`, instead of retrying (which only
    /// ``PostgresStore/open(_:logger:retryingEvery:)`` does). Alone this takes milliseconds; the bound is
    /// loose because the whole suite on two cores has made it take five seconds.
    @Test func anUnreachableServerIsUnavailable() async throws {
        var url = try #require(StoreBackend.postgresURL)
        url.port = 9  // discard: nothing listens there
        let started = ContinuousClock.now
        await #expect {
            _ = try await PostgresStore.open(.init(url: url))
        } throws: { error in
            if case StoreError.unavailable = error { return true }
            return false
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// Two nodes pruning at once delete each expired message once, between them.
    @Test func pruningRunsOnOneNodeAtATime() async throws {
        try await withTwoNodes { a, b in
            _ = try await a.createInbox(named: "old", maximumAgeSeconds: 60)
            for index in 0..<20 { _ = try await a.store(incoming("Subject: \(index)\r\n\r\n", inbox: "old")) }
            let later = Date().addingTimeInterval(120)
            async let first = a.pruneExpired(now: later)
            async let second = b.pruneExpired(now: later)
            let (one, two) = try await (first, second)
            #expect(one + two == 20)
            #expect(try await a.inbox(named: "old")?.total == 0)
        }
    }
    /// Two nodes storing into one capped inbox in turns: each node's idea of the inbox's count falls behind
    /// the other's mail, yet the inbox never stays over its limit once a store returns, and ends holding the
    /// newest messages, with its counters right.
    @Test func twoNodesKeepAnInboxAtItsLimit() async throws {
        try await withTwoNodes { a, b in
            _ = try await a.createInbox(named: "capped", maximumMessages: 5)
            var subjects: [String] = []
            for index in 0..<24 {
                let node = index.isMultiple(of: 2) ? a : b
                subjects.append("message \(index)")
                _ = try await node.store(incoming("Subject: message \(index)\r\n\r\n", inbox: "capped"))
                // Once a store returns, its inbox is within its limit, whichever node stored before.
                let total = try await node.inbox(named: "capped")?.total ?? 0
                #expect(total == min(index + 1, 5), "after message \(index)")
            }
            let page = try await b.messages(MessageQuery(inbox: "capped"), limit: 50)
            #expect(page.messages.map(\.subject) == subjects.suffix(5).reversed())
            #expect(page.total == 5)
            let inbox = try await a.inbox(named: "capped")
            #expect(inbox?.total == 5 && inbox?.unread == 5)
        }
    }

    /// Two nodes on one fresh database, as two processes would be; both closed after `body`.
    private func withTwoNodes(_ body: (PostgresStore, PostgresStore) async throws -> Void) async throws {
        try await withPostgresDatabase { url in
            let a = try await PostgresStore.open(.init(url: url, poolSize: 2))
            let b = try await PostgresStore.open(.init(url: url, poolSize: 2))
            defer {
                Task {
                    try? await a.close()
                    try? await b.close()
                }
            }
            try await body(a, b)
        }
    }
}

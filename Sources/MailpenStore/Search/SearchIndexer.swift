import CMailpenSupport
import Foundation
import GRDB
import Logging
import NIOCore
import Synchronization

/// Keeps the search index up to date behind the writer, on a thread of its own: a burst of mail is
/// acknowledged as fast as it can be stored, and becomes searchable a moment later, in larger (cheaper)
/// batches, while a trickle is searchable within milliseconds. Every batch it indexes is announced on a feed
/// of its own (``IndexedMessages``), which is what waiting requests listen for.
actor SearchIndexer: CommitListener {
    private let loop: any EventLoop
    private let store: any DatabaseReader
    private let index: any DatabaseWriter
    /// Where the index tables are, as seen from `index`: `""` or `"search."`.
    private let indexSchema: String
    private let feed: ChangeFeed<IndexedMessages>
    private let checkpointer: IndexCheckpointer?
    private let waits: WaitCounter
    private let logger: Logger
    private var indexedSeq: Int64 = 0
    /// Whether a run is due. Set by any thread that asks for a run, cleared as the run starts: during a
    /// stream of mail, the writer's commits find it set and do not wake this thread for nothing.
    private let isRunScheduled = Atomic<Bool>(false)
    private var isStopped = false
    private var isInBackground = false
    private var messagesSinceCheckpoint = 0
    private var idleCheckpoint: Scheduled<Void>?
    private var isPurgeScheduled = false
    private var lastRunStarted = NIODeadline.uptimeNanoseconds(0)
    private var isMerging = false
    private var deferredMerge: Scheduled<Void>?
    /// The retry after a failed run. Until it runs, no other run starts: each would fail and log again.
    private var retry: Scheduled<Void>?
    private var mergeStepsSinceCheckpoint = 0
    private var hasRebuiltDamagedIndex = false
    private var isCheckpointAfterMergeDue = false
    /// A batch is at most this many messages, and at most ``maximumBatchBytes`` of them (but always one):
    /// every raw message of a batch is in memory at once.
    private let batchSize = 512
    private let maximumBatchBytes: Int64

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    init(
        loop: any EventLoop, store: any DatabaseReader, index: any DatabaseWriter, indexSchema: String,
        feed: ChangeFeed<IndexedMessages>, checkpointer: IndexCheckpointer?, waits: WaitCounter, maximumBatchBytes: Int,
        logger: Logger
    ) {
        self.maximumBatchBytes = Int64(maximumBatchBytes)
        self.loop = loop
        self.store = store
        self.index = index
        self.indexSchema = indexSchema
        self.feed = feed
        self.checkpointer = checkpointer
        self.waits = waits
        self.logger = logger
    }

    /// Lowers the thread's priority, drops entries of messages deleted while Mailpen was not running, and
    /// indexes what is missing.
    nonisolated func start() {
        loop.execute {
            self.assumeIsolated { indexer in
                do {
                    indexer.indexedSeq = try indexer.index.read { db in
                        try Int64.fetchOne(db, sql: "SELECT indexed_seq FROM \(indexer.indexSchema)index_state") ?? 0
                    }
                } catch {
                    indexer.logger.error("could not read the search index state: \(error)")
                }
                indexer.purge()
                indexer.run()
            }
        }
    }

    /// New messages were committed. The first after a quiet spell is indexed at once (or, while requests
    /// wait, after ``delayWhileWaiting``); during a stream of mail, runs start at most once per
    /// ``minimumRunInterval``, so each indexes what gathered meanwhile.
    nonisolated func messagesStored() {
        // An exchange, not a load and a store: it reads the latest value, so a commit cannot miss the run's
        // clearing and skip a run it needs; and the run's exchange synchronises with every commit's through
        // the chain of exchanges, so the run sees each commit that found a run already due.
        guard !isRunScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.execute {
            self.assumeIsolated { indexer in
                var earliest = indexer.lastRunStarted + Self.minimumRunInterval
                if !indexer.waits.isEmpty { earliest = max(earliest, .now() + Self.delayWhileWaiting) }
                if earliest > .now() {
                    indexer.loop.scheduleTask(deadline: earliest) { self.assumeIsolated { $0.run() } }
                } else {
                    indexer.loop.execute { self.assumeIsolated { $0.run() } }
                }
            }
        }
    }

    /// The shortest time between two indexing runs. A full-text index pays for every transaction (each
    /// writes new segments that later need merging), so a run per commit of the writer would cost several
    /// times as much as the same messages in one run, and take CPU from ingest.
    static let minimumRunInterval = TimeAmount.milliseconds(20)

    /// How long a run waits while requests wait for mail. The wait matcher answers them without the index;
    /// on two cores, indexing the same message at the same moment would only hold up their answers (by
    /// 0.2 ms at the median with one wait), and search sees the message 5 ms later.
    static let delayWhileWaiting = TimeAmount.milliseconds(5)

    nonisolated func committed(_ commit: Commit) {
        if commit.storesMessages { messagesStored() }
        if commit.removesMessages { messagesDeleted() }
    }

    /// Messages were deleted: their entries go in a purge a second later, merged with others.
    nonisolated func messagesDeleted() {
        loop.execute {
            self.assumeIsolated { indexer in
                guard !indexer.isPurgeScheduled else { return }
                indexer.isPurgeScheduled = true
                indexer.loop.scheduleTask(in: .seconds(1)) { self.assumeIsolated { $0.purge() } }
            }
        }
    }

    /// Stops indexing: nothing is scheduled or published after this returns.
    func stop() {
        isStopped = true
        idleCheckpoint?.cancel()
        idleCheckpoint = nil
        deferredMerge?.cancel()
        deferredMerge = nil
        retry?.cancel()
        retry = nil
    }

    private func run() {
        _ = isRunScheduled.exchange(false, ordering: .acquiringAndReleasing)
        guard !isStopped else { return }
        guard retry == nil else {
            // A commit asked for this run while one was failing: leave the work to the retry, and the flag set
            // so that commits meanwhile do not wake this thread.
            _ = isRunScheduled.exchange(true, ordering: .acquiringAndReleasing)
            return
        }
        lastRunStarted = .now()
        let from = indexedSeq
        let batchSize = self.batchSize
        let maximumBatchBytes = self.maximumBatchBytes
        do {
            let (rows, hasMore) = try store.read { db in
                // The batch's last row, by count and by total size, before any raw message is read.
                // Cached statements: preparing these joins costs more than indexing a small message.
                let sizes = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT seq, size FROM main.message WHERE seq > ? ORDER BY seq LIMIT ?"),
                    arguments: [from, batchSize])
                guard let first = sizes.first else { return ([Row](), false) }
                var through: Int64 = first[0]
                var bytes: Int64 = 0
                for (position, row) in sizes.enumerated() {
                    let size: Int64 = row[1]
                    bytes += size
                    if bytes > maximumBatchBytes && position > 0 { break }
                    through = row[0]
                }
                let rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT m.seq, m.id, i.name, m.recipients, r.raw
                            FROM main.message m
                            JOIN main.inbox i ON i.id = m.inbox_id
                            JOIN main.message_raw r ON r.seq = m.seq
                            WHERE m.seq > ? AND m.seq <= ? ORDER BY m.seq
                            """),
                    arguments: [from, through])
                let lastSeen: Int64 = sizes[sizes.count - 1][0]
                return (rows, sizes.count == batchSize || through < lastSeen)
            }
            guard let last = rows.last else { return }
            setBackground(rows.count >= Self.burstSize)
            var announced: [String: [String]] = [:]
            var documents: [SearchDocument] = []
            documents.reserveCapacity(rows.count)
            for row in rows {
                let raw: Data = row[4]
                documents.append(SearchDocument(seq: row[0], raw: [UInt8](raw), recipients: row[3]))
                announced[row[2], default: []].append(row[1])
            }
            let lastSeq: Int64 = last[0]
            let indexSchema = self.indexSchema
            do {
                try BatchTransaction.write(index) { db in
                    for document in documents { try document.insert(into: db, schema: indexSchema) }
                    try db.cachedStatement(sql: "UPDATE \(indexSchema)index_state SET indexed_seq = ?")
                        .execute(arguments: [lastSeq])
                }
            } catch let error as DatabaseError {
                if rebuildIfDamaged(error) { return }
                throw error
            }
            indexedSeq = lastSeq
            feed.publishFromAnyThread(announced.map { IndexedMessages(inbox: $0.key, ids: $0.value) })
            checkpointIfDue(indexed: rows.count)
            if hasMore { messagesStored() }
            scheduleMerging(afterBurst: rows.count >= Self.burstSize)
        } catch {
            logger.error("search indexing failed, retrying in a second: \(error)")
            // The retry is the run now due: commits meanwhile find it so, and do not wake this thread.
            _ = isRunScheduled.exchange(true, ordering: .acquiringAndReleasing)
            retry = loop.scheduleTask(in: .seconds(1)) {
                self.assumeIsolated { indexer in
                    indexer.retry = nil
                    indexer.run()
                }
            }
        }
    }

    /// Copies the index's log into its file. A checkpoint ends in fsyncs that stall writes to the same files
    /// for tens of milliseconds, so a trickle of mail (tests waiting for it) waits for a quiet moment — no
    /// batch for half a second — and has it done by the checkpointer on its own thread. A long burst instead
    /// checkpoints here, between its batches, every few thousand messages: a checkpoint running beside a
    /// writer that never pauses would never finish, and the log would grow for as long as the burst.
    /// The indexer is the index's only writer, so after a complete checkpoint the log restarts from its
    /// beginning.
    private func checkpointIfDue(indexed: Int) {
        guard checkpointer != nil else { return }
        messagesSinceCheckpoint += indexed
        idleCheckpoint?.cancel()
        idleCheckpoint = nil
        if messagesSinceCheckpoint >= Self.messagesForcingCheckpoint {
            messagesSinceCheckpoint = 0
            do {
                _ = try index.writeWithoutTransaction { try $0.checkpoint(.passive) }
            } catch {
                logger.warning("search index checkpoint failed: \(error)")
            }
            return
        }
        idleCheckpoint = loop.scheduleTask(in: Self.quietPeriodBeforeCheckpoint) {
            self.assumeIsolated { indexer in
                indexer.idleCheckpoint = nil
                guard !indexer.isStopped, indexer.messagesSinceCheckpoint > 0 else { return }
                indexer.messagesSinceCheckpoint = 0
                indexer.mergeInGaps(checkpointing: true)
            }
        }
    }

    /// After a burst's run, merging starts at once, in the gap before the next run. After a trickle's, and
    /// while anyone waits for mail, it waits for a quiet moment: a test that sends a message, waits for it
    /// and sends the next must not find its run queued behind a merge step, and a step takes milliseconds
    /// (one that completes a merge deletes whole segments, up to a few hundred). Segments cannot pile up
    /// meanwhile: FTS5 merges a level within the run that gives it its 16th segment, which for the small
    /// segments of a trickle costs little.
    private func scheduleMerging(afterBurst: Bool) {
        if afterBurst && waits.isEmpty {
            deferredMerge?.cancel()
            deferredMerge = nil
            loop.execute { self.assumeIsolated { $0.mergeInGaps(checkpointing: false) } }
        } else {
            deferMerging()
        }
    }

    private func deferMerging() {
        deferredMerge?.cancel()
        deferredMerge = loop.scheduleTask(in: Self.quietPeriodBeforeMerging) {
            self.assumeIsolated { indexer in
                indexer.deferredMerge = nil
                indexer.mergeInGaps(checkpointing: false)
            }
        }
    }

    private static let quietPeriodBeforeMerging = TimeAmount.milliseconds(100)

    /// Merges the index's segments a small step at a time, in the gaps between runs: each run adds a
    /// segment, and every query looks a term up in every segment, so they must not pile up; but FTS5's own
    /// merging would run inside the run's transaction, delaying the waits it should wake. A run that
    /// becomes due goes first (it waits for one step at most); the chain resumes after it. With
    /// `checkpointing`, the log is checkpointed once nothing is left to merge.
    private func mergeInGaps(checkpointing: Bool) {
        if checkpointing { isCheckpointAfterMergeDue = true }
        guard !isMerging else { return }
        isMerging = true
        mergeStep()
    }

    private func mergeStep() {
        guard !isStopped, !isRunScheduled.load(ordering: .relaxed) else {
            isMerging = false  // The run starts the chain again.
            return
        }
        guard waits.isEmpty else {
            isMerging = false
            // The quiet moment's checkpoint runs on the checkpointer's thread and does not hold up runs.
            if isCheckpointAfterMergeDue, let checkpointer {
                isCheckpointAfterMergeDue = false
                checkpointer.requestCheckpoint()
            }
            deferMerging()
            return
        }
        mergeStepsSinceCheckpoint += 1
        if mergeStepsSinceCheckpoint >= Self.mergeStepsPerCheckpoint, let checkpointer {
            // Merging after a burst rewrites much of the index, and the log only starts over once a
            // checkpoint has caught up with it: pause for one now and then, or it grows by the index's size.
            mergeStepsSinceCheckpoint = 0
            checkpointer.requestCheckpoint {
                self.loop.execute { self.assumeIsolated { $0.mergeStep() } }
            }
            return
        }
        let indexSchema = self.indexSchema
        do {
            let merged = try index.write { db in
                try SearchIndexSchema.fullTextTables.reduce(false) { merged, table in
                    try SearchIndexSchema.mergeStep(table, in: db, schema: indexSchema, pages: Self.pagesPerMergeStep)
                        || merged
                }
            }
            if merged {
                loop.execute { self.assumeIsolated { $0.mergeStep() } }
                return
            }
        } catch {
            if let error = error as? DatabaseError, rebuildIfDamaged(error) {
                isMerging = false
                return
            }
            logger.warning("merging the search index failed: \(error)")
        }
        isMerging = false
        if isCheckpointAfterMergeDue, let checkpointer {
            isCheckpointAfterMergeDue = false
            checkpointer.requestCheckpoint()
        }
    }

    /// A few milliseconds of merging per step, which is what a run that becomes due may wait.
    private static let pagesPerMergeStep = 4
    /// Some 8 MB of log.
    private static let mergeStepsPerCheckpoint = 256

    private static let quietPeriodBeforeCheckpoint = TimeAmount.milliseconds(500)
    private static let messagesForcingCheckpoint = 2_000

    /// A backlog this large means a burst of mail: indexing then yields to ingest.
    private static let burstSize = 64

    /// Indexes a trickle at normal priority (a waiting test wakes within milliseconds), and a burst only on
    /// cores that ingest leaves idle (Linux SCHED_IDLE), catching up afterwards in larger, cheaper batches.
    private func setBackground(_ background: Bool) {
        guard background != isInBackground else { return }
        if mailpen_set_thread_idle_priority(background ? 1 : 0) == 0 {
            isInBackground = background
        }
    }

    /// Empties an index file that SQLite found damaged while Mailpen runs (a page that start-up did not read)
    /// and indexes every message again, as at a start with the file deleted; retrying would fail for ever.
    /// Returns whether it did. Never for an index attached to the message database (`--db :memory:`),
    /// which emptying would empty too.
    private func rebuildIfDamaged(_ error: DatabaseError) -> Bool {
        guard error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB, indexSchema.isEmpty else {
            return false
        }
        // Once per run: damage that comes back (a failing disk) must not mean one full reindex after another.
        guard !hasRebuiltDamagedIndex else { return false }
        hasRebuiltDamagedIndex = true
        logger.warning(
            "the search index is damaged (\(error.message ?? "\(error.resultCode)")): emptying it and rebuilding it from the messages"
        )
        do {
            try index.writeWithoutTransaction { db in
                let result = ResultCode(rawValue: mailpen_reset_database(db.sqliteConnection))
                guard result == .SQLITE_OK else {
                    throw DatabaseError(resultCode: result, message: db.lastErrorMessage ?? "emptying the index failed")
                }
                try SearchIndexSchema.prepare(db, schema: "")
            }
        } catch {
            logger.error(
                "could not empty the damaged search index (delete its file while Mailpen is stopped): \(error)")
            return false
        }
        indexedSeq = 0
        messagesSinceCheckpoint = 0
        loop.execute { self.assumeIsolated { $0.run() } }
        return true
    }

    /// Drops the entries of messages that no longer exist.
    private func purge() {
        isPurgeScheduled = false
        guard !isStopped else { return }
        let indexSchema = self.indexSchema
        do {
            let live = Set(try store.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM main.message") })
            let indexed = try index.read { db in
                try Int64.fetchAll(db, sql: "SELECT rowid FROM \(indexSchema)\(SearchIndexSchema.fieldsTable)")
            }
            let stale = indexed.filter { !live.contains($0) }
            guard !stale.isEmpty else { return }
            try index.write { try SearchIndexSchema.deleteEntries(of: stale, in: $0, schema: indexSchema) }
        } catch {
            logger.error("purging deleted messages from the search index failed: \(error)")
        }
    }
}

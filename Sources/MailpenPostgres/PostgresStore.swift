import Foundation
import Logging
import MailpenStore
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Mailpen's storage on PostgreSQL, which several Mailpen nodes share: the same inboxes, messages, searches
/// and waits as ``SQLiteStore``, with the same answers, on a database any node can write.
///
/// New messages go through a group-commit writer (``PostgresWriter``); everything else runs on a small pool
/// of connections (``PostgresPool``) in transactions of its own. Every committed change is published on this
/// node's change feed at once and announced to the other nodes with `NOTIFY` in the same transaction; a
/// ``ChangeListener`` publishes theirs here. A message's search row is stored with it; its texts are filled
/// behind the writer by a ``PostgresIndexer``, as the SQLite store's search index is, and until then no
/// text term finds it.
///
/// While the server is out of reach, calls fail with ``StoreError/unavailable(_:)`` (503 in the API,
/// `451 4.3.0` in SMTP) and ``health()`` says why; connections are made again on demand, so the store
/// resumes by itself.
public final class PostgresStore: MailpenStore {
    /// Where the database is and how the store uses it.
    public struct Configuration: Sendable {
        public var url: PostgresURL
        /// Retention limits for inboxes without their own.
        public var retention: RetentionDefaults
        /// Whether a commit waits for PostgreSQL to flush it (`synchronous_commit = on`, `--sync full`), or
        /// returns once it is in the server's memory (`off`, `--sync normal`): then a crash of the database
        /// server, not of Mailpen, can lose the last moment's acknowledged mail.
        public var synchronousCommit: Bool
        /// Connections for reads and changes other than storing mail (the writer has one of its own).
        public var poolSize: Int
        /// How long a relay delivery claimed by a node stays its own without renewal (the node renews it
        /// while it sends); a node that stopped loses its claims after this long.
        public var deliveryLease: Duration
        /// From this offset on, a list page is picked from the inbox's members kept on the node (brought up
        /// to date with new mail) rather than by walking the inbox's index past the offset. Lowered by
        /// tests.
        var deepListOffset = 10_000
        /// Whether this node fills search texts; turned off by tests, to see messages before they are filled.
        var fillsSearchTexts = true

        public init(
            url: PostgresURL, retention: RetentionDefaults = .init(), synchronousCommit: Bool = true,
            poolSize: Int = Self.defaultPoolSize, deliveryLease: Duration = .seconds(120)
        ) {
            self.url = url
            self.retention = retention
            self.synchronousCommit = synchronousCommit
            self.poolSize = poolSize
            self.deliveryLease = deliveryLease
        }

        /// Enough for the API's concurrent reads on a few cores, few enough for several nodes on one server.
        public static let defaultPoolSize = 8
    }

    public let configuration: Configuration
    let logger: Logger
    /// This node's name in notifications, so that it ignores its own.
    let node: String
    let pool: PostgresPool
    let writer: PostgresWriter
    /// Every committed change, this node's and the others', for anyone who subscribes.
    let changes: ChangeFeed<StoreEvent>
    /// The changes this node commits, for work done once per change by the node that made it.
    let ownChanges: ChangeFeed<StoreEvent>
    let listener: ChangeListener
    /// The relay deliveries this node is sending.
    let deliveryLeases: DeliveryLeases
    /// The rows of recently searched terms, kept between searches on this node.
    let termRows = TermRowsCache<PostgresTermKey>()
    /// The members of recently searched inboxes, kept while their inbox rows are unchanged.
    let memberships = InboxMembersCache()
    /// Messages whose search texts were just filled, here or on another node: text terms find them now.
    let indexed: ChangeFeed<IndexedMessages>
    let indexer: PostgresIndexer
    /// Requests waiting for mail; the store lets them end before it closes.
    let waits = WaitCounter()
    private let threads: MultiThreadedEventLoopGroup
    private let isClosed = Atomic<Bool>(false)

    /// Connects, migrates the schema (under an advisory lock, so nodes starting together do not race),
    /// makes sure the `default` inbox exists and starts listening to the other nodes. Throws
    /// ``StoreError/unavailable(_:)`` when the server is out of reach; see ``open(_:logger:retryingEvery:)``.
    public static func open(_ configuration: Configuration, logger: Logger = Logger(label: "mailpen.store"))
        async throws
        -> PostgresStore
    {
        let store = try PostgresStore(configuration: configuration, logger: logger)
        do {
            try await store.prepare()
            return store
        } catch {
            try? await store.close()
            throw PostgresFailure.storeError(error)
        }
    }

    /// Opens the store, waiting for a server that is out of reach: each failed attempt is logged with its
    /// reason and tried again after a delay that doubles from one second up to `maximumDelay`. Other
    /// errors (a wrong password, a missing database, a schema from a newer Mailpen) are thrown at once.
    public static func open(
        _ configuration: Configuration, logger: Logger = Logger(label: "mailpen.store"),
        retryingEvery maximumDelay: Duration
    ) async throws -> PostgresStore {
        var delay = Duration.seconds(1)
        while true {
            do {
                return try await open(configuration, logger: logger)
            } catch let error as StoreError {
                guard case .unavailable(let reason) = error else { throw error }
                let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                logger.error(
                    "PostgreSQL at \(configuration.url) is unreachable (\(reason)); trying again in \(seconds) s")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, maximumDelay)
            }
        }
    }

    /// Applies the migrations alone, as `mailpen migrate` does; returns the versions applied.
    public static func migrate(_ url: PostgresURL, logger: Logger = Logger(label: "mailpen.store")) async throws
        -> [Int]
    {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.open(
                configuration: url.connectionConfiguration(), id: 1, logger: logger)
        } catch {
            throw PostgresFailure.storeError(error)
        }
        defer { connection.closeInBackground() }
        return try await ClosingWatch(connection).run {
            try await PostgresSchema.migrate(on: connection, logger: logger)
        }
    }

    /// The settings of the pool's connections. Reads prefer indexes: a broad word search matches most
    /// rows, and the planner, which does not price reading the word vectors stored out of line, then picks
    /// a sequential scan that reads every vector (1.4 s at 100k messages) over the word index. The rows a
    /// negated word matches are looked up as a hashed set, which the planner builds only when it fits in
    /// `work_mem`: 100k rows take about 4 MB, the default's size. JIT compilation is off: a plan that must
    /// scan a table anyway (the inbox list) carries the huge cost `enable_seqscan = off` adds, which passes
    /// `jit_above_cost`, and compiling it took 40–80 ms for a query that runs in a fraction of one.
    static let readSettings = [("enable_seqscan", "off"), ("work_mem", "64MB"), ("jit", "off")]

    private init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        node = String((0..<10).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement() ?? "x" })
        // The writer's connection and thread, and one for the change feed, the listener and the pool.
        threads = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(threads.makeIterator())
        let (writerLoop, feedLoop) = (loops[0], loops[1])
        let url = configuration.url
        let reads = try url.connectionConfiguration(parameters: Self.readSettings)
        let writes = try url.connectionConfiguration(
            parameters: [("synchronous_commit", configuration.synchronousCommit ? "on" : "off")])
        pool = PostgresPool(
            configuration: reads, maximumConnections: configuration.poolSize, loops: threads, logger: logger)
        let changes = ChangeFeed<StoreEvent>(loop: feedLoop)
        let ownChanges = ChangeFeed<StoreEvent>(loop: feedLoop)
        let indexed = ChangeFeed<IndexedMessages>(loop: feedLoop)
        self.changes = changes
        self.ownChanges = ownChanges
        self.indexed = indexed
        let waits = self.waits
        // A lost fill is filled again, so the indexer's commits need not wait for the disk.
        let fills = try url.connectionConfiguration(parameters: Self.readSettings + [("synchronous_commit", "off")])
        let indexer = PostgresIndexer(
            isEnabled: configuration.fillsSearchTexts, node: node,
            connect: {
                try await PostgresConnection.open(on: feedLoop, configuration: fills, id: -2, logger: logger)
            }, isUrgent: { !waits.isEmpty }, publish: { indexed.publishFromAnyThread($0) }, logger: logger)
        self.indexer = indexer
        writer = PostgresWriter(
            loop: writerLoop,
            connector: { loop in
                try await PostgresConnection.open(on: loop, configuration: writes, id: 0, logger: logger)
            },
            publish: { events in
                changes.publishFromAnyThread(events)
                ownChanges.publishFromAnyThread(events)
                let stored = events.count { if case .stored = $0 { true } else { false } }
                if stored > 0 { indexer.stored(stored) }
            }, retention: configuration.retention, node: node, logger: logger)
        let pool = self.pool
        let writer = self.writer
        let termRows = self.termRows
        let memberships = self.memberships
        listener = ChangeListener(
            node: node, feed: changes, searchable: indexed,
            connect: {
                try await PostgresConnection.open(on: feedLoop, configuration: reads, id: -1, logger: logger)
            },
            loadSummaries: { ids in try await Self.summaries(ids: ids, pool: pool, logger: logger) },
            // A request here may wait for them: filled at once by whichever node comes first.
            othersStored: { count in if !waits.isEmpty { indexer.stored(count) } },
            inboxesChanged: { await writer.forgetInboxes() },
            // A promoted replica may have given the ids of transactions lost in the failover again, so rows
            // kept from the old server's snapshots cannot be brought up to date by transaction id.
            reconnected: {
                await termRows.forgetAll()
                await memberships.forgetAll()
            }, logger: logger)
        deliveryLeases = DeliveryLeases(duration: configuration.deliveryLease)
    }

    private func prepare() async throws {
        try await pool.withConnection { [self] connection in
            let applied = try await PostgresSchema.migrate(on: connection, logger: logger)
            if !applied.isEmpty { logger.notice("database migrated to version \(applied.max() ?? 0)") }
            try await connection.run(
                """
                INSERT INTO inbox (name, name_key, smtp_username, smtp_password, created_at)
                VALUES (\(Inbox.defaultName), \(Inbox.defaultName), \(Inbox.defaultName), \(Inbox.makePassword()),
                    \(Date().milliseconds))
                ON CONFLICT (name_key) DO NOTHING
                """, logger: logger)
        }
        try await listener.start()
        indexer.start()
        deliveryLeases.startRenewing({ [weak self] ids in try await self?.renewLeases(ids) }, logger: logger)
    }

    /// Finishes queued writes, stops listening and closes the connections.
    public func close() async throws {
        guard !isClosed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let statistics = await writer.statistics
        logger.info(
            "closing the database: \(statistics.messages) message(s) were written in \(statistics.batches) transaction(s)"
        )
        await writer.close()
        await indexer.stop()
        await deliveryLeases.stop()
        await listener.stop()
        await changes.finish()
        await ownChanges.finish()
        await indexed.finish()
        // Waits end with the feed; let them, so that none reaches for a connection once the pool is closed.
        await waits.untilEmpty(within: .seconds(5))
        await pool.close()
        try await threads.shutdownGracefully()
    }

    func ensureOpen() throws {
        if isClosed.load(ordering: .sequentiallyConsistent) { throw StoreError.closed }
    }

    // MARK: - Ingest

    /// Parses and stores a message, returning once it is committed (batched with concurrent callers).
    public func store(_ message: IncomingMessage) async throws -> MessageSummary {
        try await writer.store(message, whileOpen: ensureOpen)
    }

    /// Parses a message on the calling thread and queues it for the next commit; the future completes on
    /// `eventLoop` once it is committed.
    public func store(_ message: IncomingMessage, on eventLoop: any EventLoop) -> EventLoopFuture<MessageSummary> {
        writer.store(message, on: eventLoop, whileOpen: ensureOpen)
    }

    // MARK: - Health

    /// Healthy when it listens to the other nodes and a query gets through within two seconds.
    public func health() async -> StoreHealth {
        if isClosed.load(ordering: .acquiring) { return .degraded(reason: StoreError.closed.description) }
        if let problem = listener.problem { return .degraded(reason: problem) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await self.pool.withConnection { try await $0.run("SELECT 1", logger: self.logger) }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(2))
                    throw StoreError.unavailable("the database did not answer within 2 s")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
            return .healthy
        } catch {
            return .degraded(reason: PostgresFailure.describe(error))
        }
    }

    // MARK: - Changes

    public func subscribe(
        bufferSize: Int, where isWanted: StoreEventFilter?
    ) async -> AsyncThrowingStream<StoreEvent, any Error> {
        await changes.subscribe(bufferSize: bufferSize, where: isWanted)
    }

    public func subscribeToOwnChanges(
        bufferSize: Int, where isWanted: StoreEventFilter?
    ) async -> AsyncThrowingStream<StoreEvent, any Error> {
        await ownChanges.subscribe(bufferSize: bufferSize, where: isWanted)
    }

    // MARK: - Publishing

    /// Publishes the events of a committed change on this node's feed (the other nodes learn of it from
    /// the notifications the change's transaction sent).
    func publish(_ events: [StoreEvent]) {
        changes.publishFromAnyThread(events)
        ownChanges.publishFromAnyThread(events)
    }

    /// Runs a change in a transaction that also tells the other nodes, then publishes its events here.
    func change<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> (T, [StoreEvent])
    ) async throws -> T {
        try ensureOpen()
        let node = self.node
        let (value, events) = try await pool.withTransaction { [self] connection in
            let (value, events) = try await body(connection)
            try await PostgresNotifier.notify(
                StoreNotification.payloads(for: events, node: node), on: connection, logger: logger)
            return (value, events)
        }
        if events.contains(where: { if case .inbox = $0 { return true } else { return false } }) {
            await writer.forgetInboxes()
        }
        publish(events)
        return value
    }

    /// The summaries of the messages with these ids that still exist, oldest first.
    static func summaries(ids: [String], pool: PostgresPool, logger: Logger) async throws -> [MessageSummary] {
        try await pool.withConnection(retrying: true) { connection in
            try await SummaryColumns.fetch(
                """
                SELECT \(unescaped: SummaryColumns.list) FROM message m JOIN inbox i ON i.id = m.inbox_id
                WHERE m.id = ANY(\(ids.map(StoredText.cut))::text[]) ORDER BY m.seq
                """, on: connection, logger: logger)
        }
    }
}

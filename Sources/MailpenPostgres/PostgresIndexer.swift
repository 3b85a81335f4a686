import Logging
import MailpenStore
import NIOCore
import PostgresNIO
import Synchronization

/// Fills the search texts of stored messages behind the writer, as the SQLite store's search index is
/// filled: the writer stores each message's search row with its columns only, so that a commit neither
/// builds the texts nor waits for their indexes, and this fills them in batches, paced by ``IndexPacing``.
/// Until then a message is listed, counted and matched by its columns, but no text term finds it.
///
/// Any node fills any node's messages: a batch claims the oldest rows still without texts with
/// `FOR UPDATE SKIP LOCKED`, fills them, tells the other nodes (``StoreNotification/Change/searchable(inbox:ids:)``)
/// and commits, so two nodes never fill the same row and the rows of a node that stopped are filled by the
/// next node to look. Each node looks after its own commits, after other nodes' while a request here waits
/// for mail, at start and every ``sweepInterval``.
final class PostgresIndexer: Sendable {
    private struct State {
        /// Messages committed since the last pass began (at least one when a look is due).
        var backlog = 0
        var oldest: ContinuousClock.Instant?
        var lastCommit = ContinuousClock.now
        var lastPass = ContinuousClock.now - .seconds(3600)
        var isRunning = false
        var isStopped = false
        var task: Task<Void, Never>?
        var sweeper: Task<Void, Never>?
        var watched: ClosingWatch?
        var isFailing = false
    }

    private enum Step {
        case stop
        case wait(Duration)
        /// A pass over messages the oldest of which was committed then.
        case fill(oldest: ContinuousClock.Instant)
    }

    /// Rows a batch claims at most, and the bytes of their messages it reads at most (one message at least).
    static let batchRows = 512
    static let batchBytes = 64 << 20
    /// How often a node looks for rows left without texts by a node that stopped.
    static let sweepInterval = Duration.seconds(10)

    private let state = Mutex(State())
    private let isEnabled: Bool
    private let pacing: IndexPacing
    private let connect: @Sendable () async throws -> PostgresConnection
    /// Whether a request on this node waits for mail: its answer may depend on the texts, so they are
    /// filled at once.
    private let isUrgent: @Sendable () -> Bool
    private let publish: @Sendable ([IndexedMessages]) -> Void
    private let node: String
    private let logger: Logger

    init(
        isEnabled: Bool = true, pacing: IndexPacing = IndexPacing(), node: String,
        connect: @escaping @Sendable () async throws -> PostgresConnection,
        isUrgent: @escaping @Sendable () -> Bool, publish: @escaping @Sendable ([IndexedMessages]) -> Void,
        logger: Logger
    ) {
        self.isEnabled = isEnabled
        self.pacing = pacing
        self.node = node
        self.connect = connect
        self.isUrgent = isUrgent
        self.publish = publish
        self.logger = logger
    }

    /// Looks for rows without texts now, and every ``sweepInterval`` from now on.
    func start() {
        guard isEnabled else { return }
        let sweeper = Task { [weak self] in
            while !Task.isCancelled {
                self?.look()
                try? await Task.sleep(for: Self.sweepInterval)
            }
        }
        state.withLock { $0.sweeper = sweeper }
    }

    /// Tells it that `count` messages were committed, by this node or (while a request here waits) another.
    func stored(_ count: Int) {
        let now = ContinuousClock.now
        ask { state in
            state.backlog += count
            state.lastCommit = now
        }
    }

    /// A look for rows without texts whoever stored them, paced as a commit is (at once while a request
    /// waits): at start, every ``sweepInterval``, and when a wait for text begins.
    func look() {
        ask { state in state.backlog = max(state.backlog, 1) }
    }

    /// Records what asks for a pass and starts the passes unless they run.
    private func ask(_ change: (inout State) -> Void) {
        guard isEnabled else { return }
        state.withLock { state in
            guard !state.isStopped else { return }
            change(&state)
            if state.oldest == nil { state.oldest = .now }
            launchIfIdle(&state)
        }
    }

    /// Starts the passes unless they run; in the same critical section as the state that asks for them, so
    /// that ``stop()`` always finds the task that runs.
    private func launchIfIdle(_ state: inout State) {
        guard !state.isRunning else { return }
        state.isRunning = true
        state.task = Task { await self.run() }
    }

    /// Stops looking; a batch under way is finished or rolled back. Rows left without texts are filled by
    /// the next node to look.
    func stop() async {
        let (task, sweeper) = state.withLock { state in
            state.isStopped = true
            return (state.task, state.sweeper)
        }
        sweeper?.cancel()
        task?.cancel()
        await sweeper?.value
        await task?.value
        let connection = state.withLock { state in
            defer { state.watched = nil }
            return state.watched
        }
        try? await connection?.connection.close()
    }

    /// Passes as ``IndexPacing`` lets them, until nothing is left to look at.
    private func run() async {
        while true {
            let now = ContinuousClock.now
            let urgent = isUrgent()
            let step = state.withLock { state -> Step in
                guard !state.isStopped, state.backlog > 0 else {
                    state.isRunning = false
                    return .stop
                }
                let decision = pacing.decide(
                    backlog: state.backlog, sinceLastCommit: now - state.lastCommit,
                    sinceLastPass: now - state.lastPass, sinceOldest: now - (state.oldest ?? now), isUrgent: urgent)
                switch decision {
                case .after(let delay):
                    return .wait(delay)
                case .now:
                    let oldest = state.oldest ?? now
                    state.backlog = 0
                    state.oldest = nil
                    return .fill(oldest: oldest)
                }
            }
            switch step {
            case .stop:
                return
            case .wait(let delay):
                try? await Task.sleep(for: delay)
            case .fill(let oldest):
                let filled = await fillAll(oldest: oldest)
                state.withLock { $0.lastPass = .now }
                if !filled {
                    // Looked at again later: the database may be out of reach.
                    state.withLock { state in
                        state.backlog = max(state.backlog, 1)
                        if state.oldest == nil { state.oldest = .now }
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Fills batches until none is left, or until the burst of mail it took for paused goes on (see
    /// ``IndexPacing/yields(backlog:sinceLastCommit:sinceOldest:isUrgent:)``); `false` when the database
    /// failed. `oldest` is when the oldest message the pass is for was committed.
    ///
    /// A batch the database refuses for another reason than being out of reach is filled again a message at
    /// a time, and a message whose texts it refuses alone gets empty ones, so that one message can never
    /// hold up every later one: it is then found by its columns only.
    private func fillAll(oldest: ContinuousClock.Instant) async -> Bool {
        var singlesLeft = 0
        var blank = false
        do {
            while !state.withLock({ $0.isStopped }) {
                let rows = singlesLeft > 0 ? 1 : Self.batchRows
                do {
                    guard try await fillBatch(rows: rows, blank: blank) else { break }
                    singlesLeft = max(0, singlesLeft - 1)
                    blank = false
                    if singlesLeft == 0, yieldsToBurst(oldest: oldest) { break }
                } catch  where !PostgresFailure.isUnavailable(error) && !blank {
                    if rows > 1 {
                        singlesLeft = Self.batchRows
                    } else {
                        blank = true
                        logger.warning(
                            "could not fill a message's search texts (\(PostgresFailure.describe(error))); it is found by its columns only"
                        )
                    }
                }
            }
            if state.withLock({ $0.isFailing }) { logger.notice("filling search texts again") }
            state.withLock { $0.isFailing = false }
            return true
        } catch {
            let (stopped, connection, wasFailing) = state.withLock { state in
                defer {
                    state.watched = nil
                    state.isFailing = true
                }
                return (state.isStopped, state.watched, state.isFailing)
            }
            connection?.connection.closeInBackground()
            if !stopped && !wasFailing {
                logger.warning("could not fill search texts: \(PostgresFailure.describe(error))")
            }
            return false
        }
    }

    /// Whether the pass stops for a burst that goes on; if so, the messages it leaves wait with those
    /// committed since it began, since `oldest`.
    private func yieldsToBurst(oldest: ContinuousClock.Instant) -> Bool {
        let now = ContinuousClock.now
        let urgent = isUrgent()
        return state.withLock { state in
            guard
                pacing.yields(
                    backlog: state.backlog, sinceLastCommit: now - state.lastCommit, sinceOldest: now - oldest,
                    isUrgent: urgent)
            else { return false }
            // The backlog, a burst's worth, already asks for the next pass.
            state.oldest = oldest
            return true
        }
    }

    private func currentConnection() async throws -> ClosingWatch {
        if let watched = state.withLock({ $0.watched }), !watched.connection.isClosed { return watched }
        let watched = ClosingWatch(try await connect())
        state.withLock { $0.watched = watched }
        return watched
    }

    /// A message read for a fill, with its texts.
    private struct Candidate {
        var seq: Int64
        var id: String
        var inbox: String
        var row: SearchRow
    }

    /// Reads and parses the oldest rows without texts, holding no lock meanwhile; then, in a short
    /// transaction, claims those no other node holds, fills them and commits. Returns whether more may be
    /// waiting.
    ///
    /// The claim takes each message's row too, as deletions take it (before the search row, which their
    /// cascade deletes): a message being deleted is skipped, and the header lines' reference to it waits
    /// for no lock, so a deletion and a fill never wait for each other in a circle. Two nodes may read the
    /// same rows; only one fills each.
    private func fillBatch(rows limit: Int, blank: Bool) async throws -> Bool {
        let watched = try await currentConnection()
        // A connect runs to its end even when the store is closing meanwhile: then no batch follows it.
        if state.withLock({ $0.isStopped }) { return false }
        return try await watched.run { try await self.fillBatch(rows: limit, blank: blank, on: watched.connection) }
    }

    private func fillBatch(rows limit: Int, blank: Bool, on connection: PostgresConnection) async throws -> Bool {
        let (candidates, isLeft) = try await read(rows: limit, blank: blank, on: connection)
        guard !candidates.isEmpty else { return false }
        try await connection.run("BEGIN", logger: logger)
        do {
            let announced = try await fill(candidates, on: connection)
            try await connection.run("COMMIT", logger: logger)
            guard !announced.isEmpty else { return false }  // Another node holds them: it goes on.
            publish(announced)
            return isLeft
        } catch {
            if !connection.isClosed { _ = try? await connection.run("ROLLBACK", logger: logger) }
            throw error
        }
    }

    /// The oldest `rows` messages without texts (fewer when their bytes pass ``batchBytes``) with their
    /// texts, or with those of an empty message when `blank`; and whether more may be waiting.
    private func read(rows limit: Int, blank: Bool, on connection: PostgresConnection) async throws
        -> ([Candidate], Bool)
    {
        var found: [(seq: Int64, id: String, inbox: String, recipients: String, size: Int64)] = []
        let rows = try await connection.query(
            """
            SELECT s.seq, s.id, i.name, m.recipients, s.size
            FROM message_search s JOIN message m ON m.seq = s.seq JOIN inbox i ON i.id = s.inbox_id
            WHERE s.addr_all IS NULL ORDER BY s.seq LIMIT \(limit)
            """, logger: logger)
        for try await row in rows.decode((Int64, String, String, String, Int64).self) {
            found.append(row)
        }
        guard !found.isEmpty else { return ([], false) }
        var bytes: Int64 = 0
        let taken = found.prefix { message in
            defer { bytes += message.size }
            return bytes == 0 || bytes + message.size <= Int64(Self.batchBytes)
        }
        var raws: [Int64: ByteBuffer] = [:]
        if !blank {
            let seqs = taken.map(\.seq)
            for try await (seq, raw) in try await connection.query(
                "SELECT seq, raw FROM message_raw WHERE seq = ANY(\(seqs)::int8[])", logger: logger
            ).decode((Int64, ByteBuffer).self) {
                raws[seq] = raw
            }
        }
        var candidates: [Candidate] = []
        for message in taken {
            let row: SearchRow
            if blank {
                row = SearchRow(raw: [UInt8](), recipients: "")
            } else if let raw = raws[message.seq] {
                row = SearchRow(raw: raw.readableBytesView, recipients: message.recipients)
            } else {
                continue  // Deleted since.
            }
            candidates.append(Candidate(seq: message.seq, id: message.id, inbox: message.inbox, row: row))
        }
        return (candidates, found.count == limit || taken.count < found.count)
    }

    /// Claims the candidates no other node holds and that still have no texts, fills them and tells the
    /// other nodes (inside the caller's transaction); returns what it filled.
    private func fill(_ candidates: [Candidate], on connection: PostgresConnection) async throws -> [IndexedMessages] {
        let seqs = candidates.map(\.seq)
        var locked = Set<Int64>()
        for try await seq in try await connection.query(
            """
            SELECT s.seq FROM message_search s JOIN message m ON m.seq = s.seq
            WHERE s.seq = ANY(\(seqs)::int8[]) AND s.addr_all IS NULL
            FOR UPDATE OF s SKIP LOCKED FOR KEY SHARE OF m SKIP LOCKED
            """, logger: logger
        ).decode(Int64.self) {
            locked.insert(seq)
        }
        var entries: [SearchTextFill.Entry] = []
        var announced: [IndexedMessages] = []
        for candidate in candidates where locked.contains(candidate.seq) {
            entries.append((candidate.seq, candidate.row))
            if let last = announced.indices.last, announced[last].inbox == candidate.inbox {
                announced[last].ids.append(candidate.id)
            } else {
                announced.append(IndexedMessages(inbox: candidate.inbox, ids: [candidate.id]))
            }
        }
        guard !entries.isEmpty else { return [] }
        let statement = try SearchTextFill(
            entries, notifying: StoreNotification.payloads(searchable: announced, node: node))
        for try await _ in try await connection.execute(statement, logger: logger) {}
        return announced
    }
}

import Logging
import MailpenStore
import NIOCore
import NIOPosix
import PostgresNIO

/// A few PostgreSQL connections, lent out one request at a time, that fails fast: while the server is out
/// of reach, a request learns it from its own connection attempt (refused at once, or after the connect
/// timeout) instead of queueing behind a pool that backs off for up to a minute. Connections the server
/// closed are dropped when next lent or when a request fails on them, and new ones are made on demand, so
/// the store resumes by itself once the server is back.
///
/// (postgres-nio's `PostgresClient` queues requests for up to 60 seconds while it cannot connect, and
/// backs off up to a minute between attempts; both are longer than SMTP and HTTP clients should wait.)
actor PostgresPool {
    private let configuration: PostgresConnection.Configuration
    private let maximumConnections: Int
    private let loops: any EventLoopGroup
    private let logger: Logger
    private var idle: [ClosingWatch] = []
    /// Connections lent out, idle or being opened.
    private var counted = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var nextID = 0
    private var isClosed = false
    /// How long a request waits for a connection when all of them are lent out.
    private let leaseTimeout: Duration = .seconds(10)

    init(
        configuration: PostgresConnection.Configuration, maximumConnections: Int, loops: any EventLoopGroup,
        logger: Logger
    ) {
        self.configuration = configuration
        self.maximumConnections = max(1, maximumConnections)
        self.loops = loops
        self.logger = logger
    }

    /// Runs `body` with a connection of its own. An error that says the server is out of reach is thrown as
    /// ``StoreError/unavailable(_:)``; when `retrying`, a request that found its (idle) connection closed by
    /// a server that went away and came back is tried once more on a fresh one, which suits reads. A `body`
    /// still running a second after its connection closed is given up (``ClosingWatch``).
    nonisolated func withConnection<T: Sendable>(
        retrying: Bool = false, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempts = retrying ? 2 : 1
        while true {
            attempts -= 1
            let (lent, isFresh) = try await lease()
            let connection = lent.connection
            do {
                let value = try await lent.run { try await body(connection) }
                await release(lent)
                return value
            } catch {
                if connection.isClosed || PostgresFailure.isUnavailable(error) {
                    await discard(lent)
                    if attempts > 0, !isFresh, PostgresFailure.isUnavailable(error) { continue }
                } else {
                    await release(lent)
                }
                throw PostgresFailure.storeError(error)
            }
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    nonisolated func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = logger
        return try await withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            let value: T
            do {
                value = try await body(connection)
            } catch {
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                throw error
            }
            try await connection.query("COMMIT", logger: logger)
            return value
        }
    }

    /// A connection, and whether it was just opened.
    private func lease() async throws -> (ClosingWatch, Bool) {
        let deadline = ContinuousClock.now + leaseTimeout
        while true {
            if isClosed { throw StoreError.closed }
            while let lent = idle.popLast() {
                if !lent.connection.isClosed { return (lent, false) }
                counted -= 1
            }
            if counted < maximumConnections {
                counted += 1
                do {
                    return (try await open(), true)
                } catch {
                    counted -= 1
                    wakeOne()
                    throw PostgresFailure.storeError(error)
                }
            }
            guard ContinuousClock.now < deadline else {
                throw StoreError.unavailable("all \(maximumConnections) database connections are busy")
            }
            await waitForRelease(until: deadline)
        }
    }

    private func open() async throws -> ClosingWatch {
        nextID += 1
        return ClosingWatch(
            try await PostgresConnection.open(
                on: loops.next(), configuration: configuration, id: nextID, logger: logger))
    }

    private func release(_ lent: ClosingWatch) {
        if isClosed || lent.connection.isClosed {
            counted -= 1
            lent.connection.closeInBackground()
        } else {
            idle.append(lent)
        }
        wakeOne()
    }

    private func discard(_ lent: ClosingWatch) {
        counted -= 1
        lent.connection.closeInBackground()
        wakeOne()
    }

    private func waitForRelease(until deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { continuation in
            waiters.append(continuation)
            // A waiter is also woken at its deadline, so that it can give up.
            Task { [weak self] in
                try? await Task.sleep(until: deadline)
                await self?.wakeAll()
            }
        }
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    private func wakeAll() {
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
    }

    /// Closes the idle connections; connections lent out close when they come back.
    func close() async {
        isClosed = true
        let connections = idle
        idle = []
        counted -= connections.count
        wakeAll()
        for lent in connections { try? await lent.connection.close() }
    }
}

extension PostgresConnection {
    /// Runs `query` and throws away its rows.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        let rows = try await self.query(query, logger: logger)
        for try await _ in rows {}
    }
}

extension PostgresConnection {
    /// Starts closing the connection without waiting for it (for paths that cannot wait, or need not). The
    /// connection is kept until its channel is closed: postgres-nio insists on that.
    func closeInBackground() {
        let closing: EventLoopFuture<Void> = close()
        closing.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}

import Foundation
import Logging
import MailpenStore
import NIOCore
import PostgresNIO
import Synchronization

/// Listens on a connection of its own for the changes other nodes announce (``StoreNotification``) and
/// publishes them on this node's change feed, so that waits, event streams and the web UI here see mail
/// stored through another node: a stored message's summary is loaded by its id, deletions and inbox
/// changes are published as they come.
///
/// When the connection is lost it connects again (every 0.1 s, then up to every 2 s). Notifications sent
/// meanwhile are lost, so once it listens again it ends every subscriber's stream with
/// ``ChangeFeedError/fellBehind``: event streams tell their clients to reload (`resync`), and waits look
/// again for their mail.
final class ChangeListener: Sendable {
    private struct State {
        var isListening = false
        var failure: String?
        var task: Task<Void, Never>?
        var connection: PostgresConnection?
        var isStopped = false
    }

    private let node: String
    private let feed: ChangeFeed<StoreEvent>
    /// Where the messages whose search texts another node filled are announced.
    private let searchable: ChangeFeed<IndexedMessages>
    private let connect: @Sendable () async throws -> PostgresConnection
    private let loadSummaries: @Sendable ([String]) async throws -> [MessageSummary]
    /// Told how many messages another node stored.
    private let othersStored: @Sendable (Int) -> Void
    /// Told of inbox changes elsewhere (they invalidate the writer's caches) and of a reconnection.
    private let inboxesChanged: @Sendable () async -> Void
    /// Told that it listens again after losing its connection: the server may be another one (a failover).
    private let reconnected: @Sendable () async -> Void
    private let logger: Logger
    private let state = Mutex(State())

    init(
        node: String, feed: ChangeFeed<StoreEvent>, searchable: ChangeFeed<IndexedMessages>,
        connect: @escaping @Sendable () async throws -> PostgresConnection,
        loadSummaries: @escaping @Sendable ([String]) async throws -> [MessageSummary],
        othersStored: @escaping @Sendable (Int) -> Void, inboxesChanged: @escaping @Sendable () async -> Void,
        reconnected: @escaping @Sendable () async -> Void,
        logger: Logger
    ) {
        self.node = node
        self.feed = feed
        self.searchable = searchable
        self.othersStored = othersStored
        self.connect = connect
        self.loadSummaries = loadSummaries
        self.inboxesChanged = inboxesChanged
        self.reconnected = reconnected
        self.logger = logger
    }

    /// Why it is not listening right now, or `nil` while it is.
    var problem: String? {
        state.withLock { $0.isListening ? nil : ($0.failure ?? "not listening for other nodes' changes") }
    }

    /// Starts listening; returns once the first `LISTEN` is in place (or throws why it could not be).
    func start() async throws {
        let (ready, readiness) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        let task = Task {
            var isFirst = true
            var delay = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    try await listen(isFirst: isFirst) { readiness.yield(.success(())) }
                } catch {
                    let reason = PostgresFailure.describe(error)
                    let wasListening = state.withLock { state in
                        defer {
                            state.isListening = false
                            state.failure = "lost the connection for other nodes' changes: \(reason)"
                        }
                        return state.isListening
                    }
                    // Only a first connection that never listened fails the start; a lost one is made again.
                    if isFirst && !wasListening {
                        readiness.yield(.failure(error))
                        return
                    }
                    if wasListening {
                        delay = .milliseconds(100)
                        if !state.withLock({ $0.isStopped }) {
                            logger.warning("lost the connection that listens for other nodes' changes: \(reason)")
                        }
                    }
                }
                isFirst = false
                if Task.isCancelled { break }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
        state.withLock { $0.task = task }
        for await result in ready {
            try result.get()
            return
        }
    }

    /// One connection's life: LISTEN, then every notification until the connection ends.
    private func listen(isFirst: Bool, listening: @Sendable () -> Void) async throws {
        let connection = try await connect()
        let stopped = state.withLock { state in
            state.connection = connection
            return state.isStopped
        }
        defer {
            state.withLock { $0.connection = nil }
            connection.closeInBackground()
        }
        if stopped { throw CancellationError() }
        try await connection.listen(on: StoreNotification.channel) { notifications in
            state.withLock {
                $0.isListening = true
                $0.failure = nil
            }
            if !isFirst {
                logger.notice("listening for other nodes' changes again; event streams and waits look again")
                await inboxesChanged()
                await reconnected()
                await feed.dropSubscribers()
            }
            listening()
            for try await notification in notifications {
                await handle(notification.payload)
            }
        }
        throw StoreError.unavailable("the server ended the connection")
    }

    private func handle(_ payload: String) async {
        guard let notification = StoreNotification(payload: payload) else {
            logger.debug("ignored a change notification this version does not know: \(payload.prefix(80))")
            return
        }
        guard notification.node != node else { return }
        switch notification.change {
        case .stored(_, let ids):
            othersStored(ids.count)
            await publishLoaded(ids, as: StoreEvent.stored)
        case .searchable(let inbox, let ids):
            await searchable.publish([IndexedMessages(inbox: inbox, ids: ids)])
        case .updated(_, let id):
            await publishLoaded([id], as: StoreEvent.updated)
        case .deleted(let inbox, let ids):
            await feed.publish([.deleted(inbox: inbox, ids: ids)])
        case .cleared(let inbox):
            await feed.publish([.cleared(inbox: inbox)])
        case .inbox(let name, let change):
            await inboxesChanged()
            await feed.publish([.inbox(name: name, change: change)])
        }
    }

    /// Publishes the summaries of messages another node stored or changed (those still there).
    private func publishLoaded(_ ids: [String], as event: (MessageSummary) -> StoreEvent) async {
        do {
            await feed.publish(try await loadSummaries(ids).map(event))
        } catch {
            // Its subscribers missed these changes: make them look again.
            logger.warning("could not load other nodes' changes: \(PostgresFailure.describe(error))")
            await feed.dropSubscribers()
        }
    }

    /// Stops listening.
    func stop() async {
        let (task, connection) = state.withLock { state in
            state.isStopped = true
            defer { state.task = nil }
            return (state.task, state.connection)
        }
        task?.cancel()
        connection?.closeInBackground()
        await task?.value
    }
}

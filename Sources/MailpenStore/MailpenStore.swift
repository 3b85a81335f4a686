import Foundation
import NIOCore

/// Where Mailpen keeps its inboxes and captured mail: everything the HTTP API, the SMTP delivery and the
/// server need from storage, and nothing of how it is done. ``SQLiteStore`` keeps one node's mail in a file;
/// another backend plugs in here.
///
/// Every change is published, once it is committed, to ``subscribe(bufferSize:)``'s streams, in commit
/// order. A subscriber that falls behind sees its stream end with ``ChangeFeedError/fellBehind``.
public protocol MailpenStore: Sendable {
    // MARK: Inboxes

    /// Every inbox, `default` first, then by name.
    func inboxes() async throws -> [Inbox]
    /// The inbox with this name (case-insensitive), if any.
    func inbox(named name: String) async throws -> Inbox?
    /// Creates an inbox; a missing password is generated.
    func createInbox(
        named name: String, password: String?, maximumMessages: Int?, maximumAgeSeconds: Int?, routes: [String]
    ) async throws -> Inbox
    /// Changes an inbox's settings and applies its new retention limit at once.
    func updateInbox(named name: String, _ update: InboxUpdate) async throws -> Inbox
    /// Deletes an inbox with its mail (not `default`).
    func deleteInbox(named name: String) async throws
    /// Deletes every message of an inbox; returns how many.
    func clearInbox(named name: String) async throws -> Int

    // MARK: Storing

    /// Parses and stores a message, returning once it is committed.
    func store(_ message: IncomingMessage) async throws -> MessageSummary
    /// The same for a caller on an event loop (the SMTP server), completed on `eventLoop` once committed,
    /// without a hop through Swift concurrency for every message.
    func store(_ message: IncomingMessage, on eventLoop: any EventLoop) -> EventLoopFuture<MessageSummary>

    // MARK: Reading

    /// A page of an inbox's messages matching `query`, newest first, with the totals of all matches.
    func messages(_ query: MessageQuery, limit: Int, offset: Int) async throws -> MessagePage
    /// One message's summary.
    func summary(id: String) async throws -> MessageSummary?
    /// A message with its envelope and exact bytes.
    func message(id: String) async throws -> StoredMessage?
    /// The exact bytes of a message as received.
    func rawMessage(id: String) async throws -> [UInt8]?
    /// The envelope a message arrived with.
    func envelope(id: String) async throws -> MessageEnvelope?
    /// The envelopes of several messages in one read, by id; messages that have gone are left out.
    func envelopes(ids: [String]) async throws -> [String: MessageEnvelope]
    /// Every tag on the inbox's messages, as first written, with how many messages carry it. Has a default
    /// implementation that reads every summary; a backend that keeps tags in a table answers faster.
    func tagCounts(inInbox name: String) async throws -> [String: Int]
    /// Waits until `count` messages of the inbox match `query` (messages already stored count) and returns
    /// them, newest first; throws ``StoreError/timedOut`` after `timeout`, and stops when cancelled.
    func waitForMessages(_ query: MessageQuery, count: Int, timeout: Duration) async throws -> [MessageSummary]
    /// A stream of every change committed from now on, or of those `isWanted` accepts (see
    /// ``ChangeFeed/subscribe(bufferSize:where:)``).
    func subscribe(bufferSize: Int, where isWanted: StoreEventFilter?) async -> AsyncThrowingStream<
        StoreEvent, any Error
    >
    /// A stream of the changes this process commits from now on, without those of other processes sharing
    /// the database: for work that must happen once per change (auto-relay, counting deletions), which the
    /// process that made the change does. A store no other process writes answers ``subscribe(bufferSize:where:)``.
    func subscribeToOwnChanges(
        bufferSize: Int, where isWanted: StoreEventFilter?
    ) async -> AsyncThrowingStream<StoreEvent, any Error>
    /// For mail clients (POP3, IMAP): the inbox's messages whose UID is above `afterUID` (0 for all), oldest
    /// first, with its UIDVALIDITY; nil when there is no such inbox.
    func mailbox(named name: String, afterUID: Int64) async throws -> Mailbox?

    // MARK: Changing

    /// Deletes one message.
    func deleteMessage(id: String) async throws
    /// Deletes an inbox's messages matching `query` (all of them for an empty search); returns how many.
    func deleteMessages(_ query: MessageQuery) async throws -> Int
    /// Changes a message's read flag and/or tags; returns the new summary.
    func update(id: String, isRead: Bool?, tags: [String]?) async throws -> MessageSummary
    /// Deletes messages older than their inbox's age limit; returns how many.
    func pruneExpired(now: Date) async throws -> Int

    /// Whether the store can serve right now (a database server it needs may be out of reach).
    func health() async -> StoreHealth

    /// Finishes pending writes and closes the store; it is unusable afterwards.
    func close() async throws
}

/// Whether a store can serve, for `/healthz` and load balancers.
public enum StoreHealth: Sendable, Equatable {
    case healthy
    /// It cannot serve now, for this reason; it recovers by itself when the cause goes away.
    case degraded(reason: String)
}

extension MailpenStore {
    /// A store in a local file is healthy while it is open.
    public func health() async -> StoreHealth {
        .healthy
    }

    public func createInbox(
        named name: String, password: String? = nil, maximumMessages: Int? = nil, maximumAgeSeconds: Int? = nil,
        routes: [String] = []
    ) async throws -> Inbox {
        try await createInbox(
            named: name, password: password, maximumMessages: maximumMessages, maximumAgeSeconds: maximumAgeSeconds,
            routes: routes)
    }

    public func messages(_ query: MessageQuery, limit: Int = 50) async throws -> MessagePage {
        try await messages(query, limit: limit, offset: 0)
    }

    public func subscribeToOwnChanges(
        bufferSize: Int, where isWanted: StoreEventFilter?
    ) async -> AsyncThrowingStream<StoreEvent, any Error> {
        await subscribe(bufferSize: bufferSize, where: isWanted)
    }

    public func subscribeToOwnChanges(bufferSize: Int) async -> AsyncThrowingStream<StoreEvent, any Error> {
        await subscribeToOwnChanges(bufferSize: bufferSize, where: nil)
    }

    public func subscribe(bufferSize: Int) async -> AsyncThrowingStream<StoreEvent, any Error> {
        await subscribe(bufferSize: bufferSize, where: nil)
    }

    public func subscribe() async -> AsyncThrowingStream<StoreEvent, any Error> {
        await subscribe(bufferSize: 4096)
    }

    public func pruneExpired() async throws -> Int {
        try await pruneExpired(now: Date())
    }

    /// Marks a message read or unread.
    @discardableResult
    public func setRead(id: String, _ isRead: Bool) async throws -> MessageSummary {
        try await update(id: id, isRead: isRead, tags: nil)
    }

    /// Reads every summary of the inbox, 1000 at a time: correct for any backend, and as slow as that sounds.
    public func tagCounts(inInbox name: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        var offset = 0
        while true {
            let page = try await messages(MessageQuery(inbox: name), limit: 1000, offset: offset)
            for summary in page.messages {
                for tag in Set(summary.tags) { counts[tag, default: 0] += 1 }
            }
            offset += page.messages.count
            if page.messages.isEmpty || offset >= page.total { return counts }
        }
    }

    /// Summaries of an inbox's messages, newest first.
    public func summaries(inInbox name: String, limit: Int = 50, offset: Int = 0) async throws -> [MessageSummary] {
        try await messages(MessageQuery(inbox: name), limit: limit, offset: offset).messages
    }
}

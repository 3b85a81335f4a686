import Foundation
import MailpenStore
import Synchronization

extension PostgresStore {
    /// Waits until `count` messages of the inbox match `query` — messages already stored count — and returns
    /// them, newest first. Woken by the change feed, which carries this node's commits and, through
    /// `LISTEN`, the other nodes': each new message of the inbox is checked against the query at once, or,
    /// when the query has text terms, once its search texts are filled (which a pending wait makes happen
    /// at once, see ``PostgresIndexer``). Throws ``StoreError/timedOut`` after `timeout`, and stops when the
    /// calling task is cancelled.
    ///
    /// While the database is out of reach a pending wait keeps waiting: its lookups fail, and once the
    /// store listens again the feed makes it look afresh (see ``ChangeListener``).
    public func waitForMessages(_ query: MessageQuery, count: Int, timeout: Duration) async throws -> [MessageSummary] {
        waits.begin()
        defer { waits.end() }
        try ensureOpen()
        return try await MessageWait.withTimeout(
            timeout, count: count, alreadyStored: { try await self.oldestMatches(query, count: count) }
        ) {
            try await self.collectMatches(query, count: count)
        }
    }

    private func collectMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
        let (inputs, input) = AsyncStream.makeStream(of: WaitInput<[String]>.self)
        let readsTexts = PostgresSearchSQL.readsTexts(query.search)
        // Subscribed before the first look, so that nothing stored, filled or deleted in between is missed.
        let news = await changes.subscribe(bufferSize: 1024)
        let filled = await indexed.subscribe(bufferSize: 1024)
        // Mail another node stored just before may wait for its texts behind a burst there: filled now.
        if readsTexts { indexer.look() }
        let inbox = query.inbox
        return try await withThrowingDiscardingTaskGroup(returning: [MessageSummary].self) { group in
            group.addTask {
                await MessageWait.follow(self.changes, from: news, into: input, finishing: true) { event in
                    WaitInput(event, inbox: inbox) { readsTexts ? nil : [$0.id] }
                }
            }
            group.addTask {
                await MessageWait.follow(self.indexed, from: filled, into: input) { news in
                    readsTexts && news.inbox.caseInsensitiveCompare(inbox) == .orderedSame ? .stored(news.ids) : nil
                }
            }
            defer { group.cancelAll() }
            /// Looks up beside the loop, handing the loop the matches. A database out of reach is not the
            /// wait's failure: it looks again once the store listens again.
            func lookUp(_ begun: WaitMatches.Lookup, _ lookup: @escaping @Sendable () async throws -> [MessageSummary])
            {
                MessageWait.lookUp(begun, in: &group, into: input, lookup) { error in
                    if (try? self.ensureOpen()) == nil { return StoreError.closed }
                    return PostgresFailure.isUnavailable(error) ? nil : error
                }
            }
            return try await MessageWait.tally(
                count: count, first: try await oldestMatches(query, count: count), from: inputs,
                lookAgain: { lookUp($0) { try await self.oldestMatches(query, count: count) } }
            ) { ids, matches in
                lookUp(matches.beginLookup(of: ids)) { try await self.summaries(matching: query, among: ids) }
            }
        }
    }
}

import Foundation
import MailpenStore
import Synchronization

extension PostgresStore {
    /// Waits until `count` messages of the inbox match `query` — messages already stored count — and returns
    /// them, newest first. Woken by the change feed, which carries this node's commits and, through
    /// `LISTEN`, the other nodes': each new message of the inbox is checked against the query at once
    /// (it is searchable as soon as it is committed). Throws ``StoreError/timedOut`` after `timeout`, and
    /// stops when the calling task is cancelled.
    ///
    /// While the database is out of reach a pending wait keeps waiting: its lookups fail, and once the
    /// store listens again the feed makes it look afresh (see ``ChangeListener``).
    public func waitForMessages(_ query: MessageQuery, count: Int, timeout: Duration) async throws -> [MessageSummary] {
        waits.add(1, ordering: .sequentiallyConsistent)
        defer { waits.subtract(1, ordering: .sequentiallyConsistent) }
        try ensureOpen()
        return try await withThrowingTaskGroup(of: [MessageSummary].self) { group in
            group.addTask {
                try await self.collectMatches(query, count: count)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw StoreError.timedOut
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() else { throw StoreError.timedOut }
            return result
        }
    }

    /// What a wait learns while it waits.
    private enum WaitInput: Sendable {
        /// These messages of the inbox were stored.
        case stored([String])
        /// These messages of the inbox were deleted: they no longer count.
        case deleted([String])
        /// Every message of the inbox was deleted (cleared, or the inbox itself deleted).
        case emptied
        /// Change events were missed (the subscription has been renewed): look again.
        case missedEvents
        /// A lookup found these.
        case matched([MessageSummary])
        /// A lookup failed for another reason than the database being out of reach.
        case failed(any Error)
    }

    private func collectMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
        let (inputs, input) = AsyncStream.makeStream(of: WaitInput.self)
        // Subscribed before the first look, so that nothing stored or deleted in between is missed.
        let news = await changes.subscribe(bufferSize: 1024)
        let inbox = query.inbox
        return try await withThrowingDiscardingTaskGroup(returning: [MessageSummary].self) { group in
            group.addTask {
                defer { input.finish() }
                var events = news
                while !Task.isCancelled {
                    do {
                        for try await event in events {
                            guard event.inboxName.caseInsensitiveCompare(inbox) == .orderedSame else { continue }
                            switch event {
                            case .stored(let summary): input.yield(.stored([summary.id]))
                            case .deleted(_, let ids): input.yield(.deleted(ids))
                            case .cleared, .inbox(_, .deleted): input.yield(.emptied)
                            default: break
                            }
                        }
                        return
                    } catch {
                        events = await self.changes.subscribe(bufferSize: 1024)
                        input.yield(.missedEvents)
                    }
                }
            }
            defer { group.cancelAll() }
            /// Looks up beside the loop, handing the loop the matches. A database out of reach is not the
            /// wait's failure: it looks again once the store listens again.
            func lookUp(_ lookup: @escaping @Sendable () async throws -> [MessageSummary]) {
                group.addTask {
                    do {
                        input.yield(.matched(try await lookup()))
                    } catch StoreError.inboxNotFound {
                        // Deleted meanwhile; it may come back.
                    } catch {
                        if (try? self.ensureOpen()) == nil {
                            input.yield(.failed(StoreError.closed))
                        } else if !PostgresFailure.isUnavailable(error) {
                            input.yield(.failed(error))
                        }
                    }
                }
            }
            var found: [String: MessageSummary] = [:]
            var deleted: Set<String> = []
            for summary in try await oldestMatches(query, count: count) { found[summary.id] = summary }
            if found.count >= count { return Self.newestFirst(found, count: count) }
            for await event in inputs {
                switch event {
                case .stored(let ids):
                    lookUp { try await self.summaries(matching: query, among: ids) }
                case .missedEvents:
                    lookUp { try await self.oldestMatches(query, count: count) }
                case .matched(let summaries):
                    for summary in summaries where !deleted.contains(summary.id) { found[summary.id] = summary }
                case .deleted(let ids):
                    // Remembered too: a lookup's answer may come after the news of a deletion.
                    for id in ids { found[id] = nil }
                    deleted.formUnion(ids)
                case .emptied:
                    found = [:]
                case .failed(let error):
                    throw error
                }
                if found.count >= count { return Self.newestFirst(found, count: count) }
            }
            try Task.checkCancellation()
            throw StoreError.closed
        }
    }

    /// The first `count` matches to arrive (the oldest), so that a wait for three messages returns the
    /// three that made it true. An inbox that does not exist (yet) has none.
    private func oldestMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
        let page: MessagePage
        do {
            page = try await messages(query, limit: 1000, offset: 0)
        } catch StoreError.inboxNotFound {
            return []
        }
        if page.total <= page.messages.count { return Array(page.messages.suffix(count)) }
        let last = try await messages(query, limit: count, offset: max(0, page.total - count))
        return last.messages
    }

    private static func newestFirst(_ found: [String: MessageSummary], count: Int) -> [MessageSummary] {
        Array(found.values.sorted { $0.id < $1.id }.prefix(count).reversed())
    }
}

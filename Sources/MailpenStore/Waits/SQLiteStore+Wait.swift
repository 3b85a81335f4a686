import Foundation

extension SQLiteStore {
    /// Waits until `count` messages of the inbox match `query` — messages already stored count — and returns
    /// them, newest first. Woken by the store itself as it commits matching mail (see ``WaitMatcher``), never
    /// by polling. Throws ``StoreError/timedOut`` after `timeout`, and stops at once when the calling task is
    /// cancelled (a client that went away).
    public func waitForMessages(_ query: MessageQuery, count: Int, timeout: Duration) async throws -> [MessageSummary] {
        // Counted before the check, so that `close()` either sees this wait and lets it end first, or this
        // wait sees the store closed.
        waits.begin()
        defer { waits.end() }
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
        /// The matcher checked a batch of new messages of the inbox.
        case arrived(WaitMatcher.Arrival)
        /// The search index now has these messages of the inbox.
        case searchable([String])
        /// These messages of the inbox were deleted: they no longer count.
        case deleted([String])
        /// Every message of the inbox was deleted (cleared, or the inbox itself deleted).
        case emptied
        /// Change events were missed (the subscription has been renewed): look again.
        case missedEvents
        /// A lookup in the search index found these (looked up beside the loop, so that a slow lookup does
        /// not hold up the matcher's news).
        case matched([MessageSummary])
        /// That lookup failed.
        case failed(any Error)
    }

    /// New messages are checked as soon as they are committed, by the matcher, which hands each wait its
    /// matches; one the matcher did not check (in a batch whose commit began before this wait, too large,
    /// or in a check that failed) is checked once the search index has it.
    private func collectMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
        let (inputs, input) = AsyncStream.makeStream(of: WaitInput.self)
        // Deletions are heard before the matcher can report anything: a message it matches and that is
        // deleted at once would otherwise count, its deletion published before this wait listened.
        let changeNews = await changes.subscribe(bufferSize: 1024)
        // Registered next, so that the batches committed from here on are checked as they arrive.
        let registration = await matcher?.register(query) { input.yield(.arrived($0)) }
        defer { if let registration { matcher?.unregister(registration) } }
        // Subscribed before the first look, so that nothing indexed in between is missed.
        let indexedNews = await indexed.subscribe(bufferSize: 1024)
        let inbox = query.inbox
        // Discarding: the lookups' tasks are not kept once done, however long the wait.
        return try await withThrowingDiscardingTaskGroup(returning: [MessageSummary].self) { group in
            group.addTask {
                defer { input.finish() }
                await Self.relay(self.indexed, from: indexedNews, into: input) { news in
                    news.inbox.caseInsensitiveCompare(inbox) == .orderedSame ? .searchable(news.ids) : nil
                }
            }
            group.addTask {
                await Self.relay(self.changes, from: changeNews, into: input) { event in
                    guard event.inboxName.caseInsensitiveCompare(inbox) == .orderedSame else { return nil }
                    switch event {
                    case .deleted(_, let ids): return .deleted(ids)
                    case .cleared, .inbox(_, .deleted): return .emptied
                    default: return nil
                    }
                }
            }
            defer { group.cancelAll() }
            /// Looks up in the search index beside the loop, handing the loop the matches.
            func lookUp(_ lookup: @escaping @Sendable () async throws -> [MessageSummary]) {
                group.addTask {
                    do {
                        input.yield(.matched(try await lookup()))
                    } catch StoreError.inboxNotFound {
                        // Deleted meanwhile; it may come back.
                    } catch {
                        input.yield(.failed((try? self.ensureOpen()) == nil ? StoreError.closed : error))
                    }
                }
            }
            var found: [String: MessageSummary] = [:]
            // Messages the matcher checked: the search index's news of them is not looked at again. (When
            // that news comes first, the message is looked up twice; `found` is keyed by id.)
            var checked: Set<String> = []
            var deleted: Set<String> = []
            for summary in try await oldestMatches(query, count: count) { found[summary.id] = summary }
            if found.count >= count { return Self.newestFirst(found, count: count) }
            for await event in inputs {
                switch event {
                case .arrived(let arrival):
                    checked.formUnion(arrival.checked)
                    for summary in arrival.matching where !deleted.contains(summary.id) { found[summary.id] = summary }
                case .searchable(let indexed):
                    let ids = indexed.filter { checked.remove($0) == nil }
                    if !ids.isEmpty { lookUp { try await self.summaries(matching: query, among: ids) } }
                case .missedEvents:
                    lookUp { try await self.oldestMatches(query, count: count) }
                case .matched(let summaries):
                    for summary in summaries where !deleted.contains(summary.id) { found[summary.id] = summary }
                case .deleted(let ids):
                    // Remembered too: the matcher's news of a message may come after the news of its deletion.
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

    /// Hands a wait what a feed says of its inbox until the feed ends (the store closes) or the wait does,
    /// subscribing again when the wait fell behind, and saying so: it must look again.
    private static func relay<Event: Sendable>(
        _ feed: ChangeFeed<Event>, from first: AsyncThrowingStream<Event, any Error>,
        into input: AsyncStream<WaitInput>.Continuation, _ meaning: @Sendable (Event) -> WaitInput?
    ) async {
        var events = first
        while !Task.isCancelled {
            do {
                for try await event in events {
                    if let news = meaning(event) { input.yield(news) }
                }
                return
            } catch {
                events = await feed.subscribe(bufferSize: 1024)
                input.yield(.missedEvents)
            }
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

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
        return try await MessageWait.withTimeout(
            timeout, count: count, alreadyStored: { try await self.oldestMatches(query, count: count) }
        ) {
            try await self.collectMatches(query, count: count)
        }
    }

    /// How a wait hears of new messages of its inbox.
    private enum StoredNews: Sendable {
        /// The matcher checked a batch of them.
        case arrived(WaitMatcher.Arrival)
        /// The search index now has these (looked up beside the loop, so that a slow lookup does not hold
        /// up the matcher's news).
        case searchable([String])
    }

    /// New messages are checked as soon as they are committed, by the matcher, which hands each wait its
    /// matches; one the matcher did not check (in a batch whose commit began before this wait, too large,
    /// or in a check that failed) is checked once the search index has it.
    private func collectMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
        let (inputs, input) = AsyncStream.makeStream(of: WaitInput<StoredNews>.self)
        // Deletions are heard before the matcher can report anything: a message it matches and that is
        // deleted at once would otherwise count, its deletion published before this wait listened.
        let changeNews = await changes.subscribe(bufferSize: 1024)
        // Registered next, so that the batches committed from here on are checked as they arrive.
        let registration = await matcher?.register(query) { input.yield(.stored(.arrived($0))) }
        defer { if let registration { matcher?.unregister(registration) } }
        // Subscribed before the first look, so that nothing indexed in between is missed.
        let indexedNews = await indexed.subscribe(bufferSize: 1024)
        let inbox = query.inbox
        // Discarding: the lookups' tasks are not kept once done, however long the wait.
        return try await withThrowingDiscardingTaskGroup(returning: [MessageSummary].self) { group in
            group.addTask {
                await MessageWait.follow(self.indexed, from: indexedNews, into: input, finishing: true) { news in
                    news.inbox.caseInsensitiveCompare(inbox) == .orderedSame ? .stored(.searchable(news.ids)) : nil
                }
            }
            group.addTask {
                await MessageWait.follow(self.changes, from: changeNews, into: input) { event in
                    WaitInput(event, inbox: inbox)
                }
            }
            defer { group.cancelAll() }
            /// Looks up in the search index beside the loop, handing the loop the matches.
            func lookUp(_ begun: WaitMatches.Lookup, _ lookup: @escaping @Sendable () async throws -> [MessageSummary])
            {
                MessageWait.lookUp(begun, in: &group, into: input, lookup) { error in
                    (try? self.ensureOpen()) == nil ? StoreError.closed : error
                }
            }
            // Messages the matcher checked: the search index's news of them is not looked at again. (When
            // that news comes first, the message is looked up twice; a match counts once.)
            var checked: Set<String> = []
            return try await MessageWait.tally(
                count: count, first: try await oldestMatches(query, count: count), from: inputs,
                lookAgain: { lookUp($0) { try await self.oldestMatches(query, count: count) } }
            ) { news, matches in
                switch news {
                case .arrived(let arrival):
                    checked.formUnion(arrival.checked)
                    matches.add(arrival.matching)
                case .searchable(let indexed):
                    let ids = indexed.filter { checked.remove($0) == nil }
                    if !ids.isEmpty {
                        lookUp(matches.beginLookup(of: ids)) { try await self.summaries(matching: query, among: ids) }
                    }
                }
            }
        }
    }
}

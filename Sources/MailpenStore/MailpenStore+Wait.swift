import Foundation

extension MailpenStore {
    /// Waits until `count` messages of the inbox match `query` — messages already stored count — and returns
    /// them, newest first. Woken by the change feed, never by polling. Throws ``StoreError/timedOut`` after
    /// `timeout`, and stops at once when the calling task is cancelled (a client that went away).
    public func waitForMessages(_ query: MessageQuery, count: Int, timeout: Duration) async throws -> [MessageSummary] {
        try ensureOpen()
        waits.begin()
        defer { waits.end() }
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
        /// Of those, these match (looked up beside the loop, so that a slow lookup in the search index
        /// does not hold up the matcher's news).
        case matched([MessageSummary])
        /// That lookup failed.
        case failed(any Error)
        /// Change events were missed (the subscription has been renewed): look again.
        case missedEvents
    }

    /// New messages are checked as soon as they are committed, by the matcher, which hands each wait its
    /// matches; one the matcher did not check (stored before this wait began, or too large) is checked
    /// once the search index has it.
    private func collectMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
        let (inputs, input) = AsyncStream.makeStream(of: WaitInput.self)
        // Registered first, so that every batch committed from here on is checked as it arrives.
        let registration = await matcher?.register(query) { input.yield(.arrived($0)) }
        defer { if let registration { matcher?.unregister(registration) } }
        // Subscribed before the first look, so that nothing indexed in between is missed.
        let subscription = await changes.subscribe(bufferSize: 1024)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var events = subscription
                while true {
                    do {
                        for try await event in events {
                            if case .searchable(let inbox, let ids) = event,
                                inbox.caseInsensitiveCompare(query.inbox) == .orderedSame
                            {
                                input.yield(.searchable(ids))
                            }
                        }
                        break  // The store closes, or the wait ends.
                    } catch ChangeFeedError.fellBehind {
                        events = await self.changes.subscribe(bufferSize: 1024)
                        input.yield(.missedEvents)
                    }
                }
                input.finish()
            }
            defer { group.cancelAll() }
            var found: [String: MessageSummary] = [:]
            // Messages the matcher checked: the search index's news of them is not looked at again.
            var checked: Set<String> = []
            for summary in try await oldestMatches(query, count: count) { found[summary.id] = summary }
            if found.count >= count { return Self.newestFirst(found, count: count) }
            for await event in inputs {
                let matching: [MessageSummary]
                switch event {
                case .arrived(let arrival):
                    checked.formUnion(arrival.checked)
                    matching = arrival.matching
                case .searchable(let indexed):
                    let ids = indexed.filter { checked.remove($0) == nil }
                    guard !ids.isEmpty else { continue }
                    group.addTask {
                        do {
                            input.yield(.matched(try await self.summaries(matching: query, among: ids)))
                        } catch StoreError.inboxNotFound {
                            // Deleted meanwhile; it may come back.
                        } catch {
                            input.yield(.failed(error))
                        }
                    }
                    continue
                case .matched(let summaries):
                    matching = summaries
                case .failed(let error):
                    throw error
                case .missedEvents:
                    matching = try await oldestMatches(query, count: count)
                }
                for summary in matching { found[summary.id] = summary }
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

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

    /// New messages are checked as soon as they are stored, in the recent index, which the writer fills
    /// while anyone waits; one the recent index did not get (stored before this wait began, or pushed out
    /// by a burst) is checked once the search index has it.
    private func collectMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
        while true {
            // Subscribe before looking, so that nothing indexed in between is missed.
            let events = await changes.subscribe(bufferSize: 1024)
            var found: [String: MessageSummary] = [:]
            for summary in try await oldestMatches(query, count: count) { found[summary.id] = summary }
            if found.count >= count { return Self.newestFirst(found, count: count) }
            // Messages checked in the recent index, and the newest of them.
            var checked: Set<String> = []
            var newestChecked: String?
            do {
                for try await event in events {
                    let matching: [MessageSummary]
                    switch event {
                    case .stored(let summary) where summary.inbox.caseInsensitiveCompare(query.inbox) == .orderedSame:
                        guard let recent, newestChecked.map({ summary.id > $0 }) ?? true,
                            // On failure the message stays unchecked: the search index announces it later.
                            let outcome = try? await recent.check(query, after: newestChecked)
                        else { continue }
                        checked.formUnion(outcome.checked)
                        newestChecked = outcome.checked.last ?? newestChecked
                        matching = outcome.matching
                    case .searchable(let inbox, let indexed) where inbox.caseInsensitiveCompare(query.inbox) == .orderedSame:
                        let ids = indexed.filter { checked.remove($0) == nil }
                        guard !ids.isEmpty else { continue }
                        do {
                            matching = try await summaries(matching: query, among: ids)
                        } catch StoreError.inboxNotFound {
                            continue  // Deleted meanwhile; it may come back.
                        }
                    default:
                        continue
                    }
                    for summary in matching { found[summary.id] = summary }
                    if found.count >= count { return Self.newestFirst(found, count: count) }
                }
            } catch ChangeFeedError.fellBehind {
                continue  // Events were missed: look again from the start.
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

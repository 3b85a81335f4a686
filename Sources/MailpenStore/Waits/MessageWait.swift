import Foundation

/// The parts of waiting for mail that do not depend on how a store hears of new messages: the timeout
/// around a wait, the first look at what is already stored, following a change feed, and the tally of
/// matches. Each store's `waitForMessages` builds on these, so that both backends answer alike.
package enum MessageWait {
    /// Runs `collect` until it returns, throwing ``StoreError/timedOut`` once `timeout` has passed first.
    package static func withTimeout(
        _ timeout: Duration, count: Int, alreadyStored: @Sendable () async throws -> [MessageSummary],
        _ collect: @escaping @Sendable () async throws -> [MessageSummary]
    ) async throws -> [MessageSummary] {
        // With no time at all the timeout would win the race before the first look: answer from one look.
        if timeout <= .zero {
            var matches = WaitMatches(count: count)
            matches.add(try await alreadyStored())
            if let answer = matches.answer { return answer }
            throw StoreError.timedOut
        }
        return try await withThrowingTaskGroup(of: [MessageSummary].self) { group in
            group.addTask {
                try await collect()
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

    /// Tallies a wait's input until it has `count` matches, and returns them newest first. `first` is what
    /// was already stored; `lookAgain` looks afresh (events were missed), beside the loop, as the lookup it
    /// is given; `take` counts the store's own news of stored messages, beginning a lookup in `matches` for
    /// those it hands to one. Throws what a lookup failed with, or ``StoreError/closed`` when the input ends
    /// (the store closes) before the wait does.
    package static func tally<News: Sendable>(
        count: Int, first: [MessageSummary], from inputs: AsyncStream<WaitInput<News>>,
        lookAgain: (WaitMatches.Lookup) -> Void, take: (News, inout WaitMatches) -> Void
    ) async throws -> [MessageSummary] {
        var matches = WaitMatches(count: count)
        matches.add(first)
        if let answer = matches.answer { return answer }
        for await event in inputs {
            switch event {
            case .stored(let news):
                take(news, &matches)
            case .missedEvents:
                lookAgain(matches.beginLookup(of: nil))
            case .matched(let summaries, let lookup):
                matches.add(summaries, from: lookup)
            case .deleted(let ids):
                matches.remove(ids)
            case .emptied:
                matches.removeAll()
            case .failed(let error):
                throw error
            }
            if let answer = matches.answer { return answer }
        }
        try Task.checkCancellation()
        throw StoreError.closed
    }

    /// Runs `lookup` in `group`, beside the wait's loop, handing the loop its matches as those of `begun`.
    /// An inbox deleted meanwhile has none (it may come back); another failure goes to the loop as `failure`
    /// translates it, or counts as finding none when that returns `nil`.
    package static func lookUp<News: Sendable>(
        _ begun: WaitMatches.Lookup, in group: inout ThrowingDiscardingTaskGroup<any Error>,
        into input: AsyncStream<WaitInput<News>>.Continuation,
        _ lookup: @escaping @Sendable () async throws -> [MessageSummary],
        failure: @escaping @Sendable (any Error) -> (any Error)?
    ) {
        group.addTask {
            do {
                input.yield(.matched(try await lookup(), begun))
            } catch StoreError.inboxNotFound {
                // Deleted meanwhile; it may come back.
                input.yield(.matched([], begun))
            } catch {
                if let failure = failure(error) {
                    input.yield(.failed(failure))
                } else {
                    input.yield(.matched([], begun))
                }
            }
        }
    }

    /// Hands a wait what a feed says of its inbox until the feed ends (the store closes) or the wait does,
    /// subscribing again when the wait fell behind, and saying so (``WaitInput/missedEvents``): it must look
    /// again. With `finishing`, the input ends with the feed, and so does the wait's loop.
    package static func follow<Event: Sendable, News: Sendable>(
        _ feed: ChangeFeed<Event>, from first: AsyncThrowingStream<Event, any Error>,
        into input: AsyncStream<WaitInput<News>>.Continuation, finishing: Bool = false,
        _ meaning: @Sendable (Event) -> WaitInput<News>?
    ) async {
        defer { if finishing { input.finish() } }
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
}

extension MailpenStore {
    /// The first `count` matches to arrive (the oldest), so that a wait for three messages returns the
    /// three that made it true. An inbox that does not exist (yet) has none.
    package func oldestMatches(_ query: MessageQuery, count: Int) async throws -> [MessageSummary] {
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
}

/// What a wait learns while it waits; `News` is how its store tells of new messages.
package enum WaitInput<News: Sendable>: Sendable {
    /// Messages of the inbox were stored.
    case stored(News)
    /// These messages of the inbox were deleted: they no longer count.
    case deleted([String])
    /// Every message of the inbox was deleted (cleared, or the inbox itself deleted).
    case emptied
    /// Change events were missed (the subscription has been renewed): look again.
    case missedEvents
    /// A lookup beside the loop found these.
    case matched([MessageSummary], WaitMatches.Lookup)
    /// A lookup failed: the wait ends with this error.
    case failed(any Error)
}

extension WaitInput {
    /// What a change means for a wait on `inbox`, if anything: a deletion, or (as `stored` tells, when the
    /// store learns of new messages from its change feed) a new message.
    package init?(_ event: StoreEvent, inbox: String, stored: (MessageSummary) -> News? = { _ in nil }) {
        guard event.inboxName.caseInsensitiveCompare(inbox) == .orderedSame else { return nil }
        switch event {
        case .stored(let summary):
            guard let news = stored(summary) else { return nil }
            self = .stored(news)
        case .deleted(_, let ids): self = .deleted(ids)
        case .cleared, .inbox(_, .deleted): self = .emptied
        default: return nil
        }
    }
}

/// The matches a wait has found so far, minus the messages deleted meanwhile, and the lookups under way.
///
/// Lookups run side by side and may finish in any order, so the answer also waits for those that might
/// still find an older match than its newest: a wait for seven returns the first seven matches to arrive,
/// not the first seven whose lookups happened to finish.
package struct WaitMatches {
    /// A lookup under way, begun with ``beginLookup(of:)`` and ended when its matches are added.
    package struct Lookup: Sendable, Hashable {
        fileprivate let number: Int
    }

    private let count: Int
    private var found: [String: MessageSummary] = [:]
    /// Remembered too: news of a match may come after the news of its deletion.
    private var deleted: Set<String> = []
    /// The ids each lookup under way checks, or `nil` for a look at the whole inbox.
    private var lookups: [Int: [String]?] = [:]
    private var lookupsBegun = 0

    /// A tally for a wait for `count` messages.
    package init(count: Int) {
        self.count = count
    }

    /// The wait's answer once it has `count` matches and no lookup under way could find an older one than
    /// the newest of them: the oldest `count` matches, newest first.
    package var answer: [MessageSummary]? {
        guard found.count >= count else { return nil }
        let chosen = found.values.sorted { $0.id < $1.id }.prefix(count)
        if let newest = chosen.last?.id {
            for ids in lookups.values {
                guard let ids, ids.allSatisfy({ $0 > newest }) else { return nil }
            }
        }
        return Array(chosen.reversed())
    }

    /// Notes a lookup of `ids` (of the whole inbox when `nil`), which the answer waits for while it might
    /// find an older match.
    package mutating func beginLookup(of ids: [String]?) -> Lookup {
        lookupsBegun += 1
        lookups[lookupsBegun] = .some(ids)
        return Lookup(number: lookupsBegun)
    }

    /// Counts what `lookup` found, and notes that it is over.
    package mutating func add(_ summaries: [MessageSummary], from lookup: Lookup) {
        lookups[lookup.number] = nil
        add(summaries)
    }

    /// Counts `summaries`, but for those deleted already (`found` is keyed by id: one counts once).
    package mutating func add(_ summaries: [MessageSummary]) {
        for summary in summaries where !deleted.contains(summary.id) { found[summary.id] = summary }
    }

    /// These messages were deleted: they no longer count.
    package mutating func remove(_ ids: [String]) {
        for id in ids { found[id] = nil }
        deleted.formUnion(ids)
    }

    /// Every message of the inbox was deleted.
    package mutating func removeAll() {
        found = [:]
    }
}

/// One transaction the writer committed: the changes it made public, and the new messages themselves for
/// the wait matcher (only while requests wait, and only messages small enough to check at once).
struct Commit: Sendable {
    var events: [StoreEvent]
    var newMessages: [WaitMatcher.Entry] = []

    /// Whether messages were stored.
    var storesMessages: Bool { events.contains { if case .stored = $0 { return true } else { return false } } }
    /// Whether messages were deleted.
    var removesMessages: Bool { events.contains(where: \.removesMessages) }
}

/// Told of every transaction the writer commits, once, in commit order, on the writer's thread. The path
/// after a commit goes one way: a listener takes what it needs and returns at once (it hands work to its
/// own thread), and never calls back into the writer.
protocol CommitListener: Sendable {
    func committed(_ commit: Commit)
}

extension ChangeFeed: CommitListener where Event == StoreEvent {
    nonisolated func committed(_ commit: Commit) {
        publishFromAnyThread(commit.events)
    }
}

import Synchronization

/// Counts the writer's transactions, so that anything derived from the database can tell whether it may
/// have changed since: read the count before a read transaction begins; the writer advances it after each
/// of its transactions has ended.
final class CommitCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    var current: UInt64 { value.load(ordering: .acquiring) }

    func advance() {
        value.add(1, ordering: .releasing)
    }
}

/// Counts the requests waiting for mail. While there are any, the SQLite writer hands the messages it
/// commits to the wait matcher (``WaitMatcher``) and the search indexer leaves merging for later, and
/// PostgreSQL's indexer fills texts at once; each store lets them end before it closes.
package final class WaitCounter: Sendable {
    private let value = Atomic<Int>(0)

    package init() {}

    package var isEmpty: Bool { value.load(ordering: .relaxed) == 0 }

    /// Counts a wait; sequentially consistent with the store's closing flag (see `waitForMessages`).
    package func begin() {
        value.add(1, ordering: .sequentiallyConsistent)
    }

    package func end() {
        value.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Returns once no wait is counted, or after `limit`. Waits end as soon as the change feed has
    /// finished, so this is a moment at shutdown, not a loop of the running store.
    package func untilEmpty(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while value.load(ordering: .sequentiallyConsistent) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// How many messages were committed in how many transactions.
struct WriterStatistics: Sendable {
    var batches = 0
    var messages = 0
}

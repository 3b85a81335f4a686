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

/// Counts the requests waiting for mail. While there are any, the writer hands each committed message to
/// the wait matcher (``WaitMatcher``) and the search indexer leaves merging for later.
final class WaitCounter: Sendable {
    private let value = Atomic<Int>(0)

    var isEmpty: Bool { value.load(ordering: .relaxed) == 0 }

    func begin() {
        value.add(1, ordering: .relaxed)
    }

    func end() {
        value.subtract(1, ordering: .relaxed)
    }
}

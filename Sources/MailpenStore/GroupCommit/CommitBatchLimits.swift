/// How much of what is queued one commit takes, in a store's writer (SQLite or PostgreSQL): a batch grows
/// with the queue (group commit), bounded in messages and in bytes so that one transaction stays short.
package struct CommitBatchLimits: Sendable {
    package var maximumBytes = 64 * 1024 * 1024
    package var maximumCount = 1024

    package init() {}

    /// Takes the next batch from the front of `pending`: the first item however large, then as many as fit.
    package func takeBatch<Item>(from pending: inout [Item], size: (Item) -> Int) -> [Item] {
        var count = 0
        var bytes = 0
        while count < pending.count, count < maximumCount,
            count == 0 || bytes + size(pending[count]) <= maximumBytes
        {
            bytes += size(pending[count])
            count += 1
        }
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        return batch
    }
}

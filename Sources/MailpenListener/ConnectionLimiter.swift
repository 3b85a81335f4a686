import Synchronization

/// Counts a listener's open connections across all event loops, so that a server can turn away
/// connections past its configured maximum with a protocol error instead of running out of memory.
public final class ConnectionLimiter: Sendable {
    private let count = Atomic<Int>(0)
    public let maximum: Int

    public init(maximum: Int) {
        self.maximum = maximum
    }

    /// The number of connections holding a slot.
    public var current: Int { count.load(ordering: .relaxed) }

    /// Takes a slot; returns `false` (and takes none) when all are in use.
    public func acquire() -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < maximum {
            let (exchanged, original) = count.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    public func release() {
        count.subtract(1, ordering: .acquiringAndReleasing)
    }
}

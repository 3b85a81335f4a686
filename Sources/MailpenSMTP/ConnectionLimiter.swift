import Synchronization

/// Counts open SMTP connections across all event loops so that the server can refuse connections past
/// the configured maximum with `421 4.7.0`.
final class ConnectionLimiter: Sendable {
    private let count = Atomic<Int>(0)
    let maximum: Int

    init(maximum: Int) {
        self.maximum = maximum
    }

    /// The number of connections holding a slot.
    var current: Int { count.load(ordering: .relaxed) }

    /// Takes a slot; returns `false` (and takes none) when all are in use.
    func acquire() -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < maximum {
            let (exchanged, original) = count.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        count.subtract(1, ordering: .acquiringAndReleasing)
    }
}

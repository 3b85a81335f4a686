import Foundation

/// When a delivery that failed temporarily is tried again: after ``initialDelay``, doubling each time up to
/// ``maximumDelay``, each delay spread by up to ±``jitter`` of itself so that deliveries that failed together
/// do not all come back together; no more attempts once ``giveUpAfter`` has passed since it was queued.
public struct RetryPolicy: Sendable, Hashable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    public var giveUpAfter: Duration
    /// The share of each delay (0 to 1) by which it is randomly lengthened or shortened.
    public var jitter: Double

    public init(
        initialDelay: Duration = .seconds(30), maximumDelay: Duration = .seconds(3600),
        giveUpAfter: Duration = .seconds(24 * 3600), jitter: Double = 0.2
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = max(maximumDelay, initialDelay)
        self.giveUpAfter = giveUpAfter
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay after the `attempts`-th failed attempt (1 for the first), before jitter.
    public func baseDelay(afterAttempts attempts: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempts, 1) {
            delay = delay * 2
            if delay >= maximumDelay { return maximumDelay }
        }
        return min(delay, maximumDelay)
    }

    /// When to try again after the `attempts`-th failed attempt ended at `now`, for a delivery queued at
    /// `queuedAt`; `nil` when that would be past ``giveUpAfter``. `random` is in 0...1 (0.5: no jitter).
    public func nextAttempt(afterAttempts attempts: Int, queuedAt: Date, now: Date, random: Double) -> Date? {
        let base = Self.seconds(baseDelay(afterAttempts: attempts))
        let spread = base * jitter * (min(max(random, 0), 1) * 2 - 1)
        let next = now.addingTimeInterval(max(0, base + spread))
        guard next.timeIntervalSince(queuedAt) <= Self.seconds(giveUpAfter) else { return nil }
        return next
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

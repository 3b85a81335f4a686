import Foundation
import MailpenStore

/// When a failed webhook delivery is tried again: after the webhook's backoff, doubling with each failure
/// up to ``maximumDelay``, for ``retryPeriod`` from when the event was queued; then it is given up.
public struct WebhookRetrySchedule: Sendable, Hashable {
    /// How long a delivery is retried, counted from when it was queued.
    public var retryPeriod: Duration
    /// The longest wait between two attempts.
    public var maximumDelay: Duration

    public init(retryPeriod: Duration = .seconds(24 * 3600), maximumDelay: Duration = .seconds(3600)) {
        self.retryPeriod = retryPeriod
        self.maximumDelay = maximumDelay
    }

    /// The wait after the `failures`-th failed attempt (1 for the first): `backoff × 2^(failures − 1)`,
    /// at most ``maximumDelay``.
    public func delay(afterFailures failures: Int, backoffMilliseconds: Int) -> Duration {
        let cap = maximumDelay.milliseconds
        let first = max(1, Int64(backoffMilliseconds))
        let doublings = max(0, failures - 1)
        // Past 62 doublings any positive backoff is far beyond the cap; checked to stay clear of overflow.
        guard doublings < 62 else { return maximumDelay }
        let (product, overflow) = first.multipliedReportingOverflow(by: Int64(1) << Int64(doublings))
        if overflow || product > cap { return maximumDelay }
        return .milliseconds(product)
    }

    /// When to try again after `failures` failed attempts, ending `now`, of a delivery queued at
    /// `createdAt`; `nil` when that would fall past the retry period (the delivery is given up).
    public func nextAttempt(afterFailures failures: Int, backoffMilliseconds: Int, createdAt: Date, now: Date)
        -> Date?
    {
        let delay = delay(afterFailures: failures, backoffMilliseconds: backoffMilliseconds)
        let next = now.addingTimeInterval(Double(delay.milliseconds) / 1000)
        let deadline = createdAt.addingTimeInterval(Double(retryPeriod.milliseconds) / 1000)
        return next <= deadline ? next : nil
    }

    /// What to record after an attempt of `delivery` that ended at `now` with `outcome`.
    public func result(for delivery: WebhookDelivery, outcome: WebhookAttemptOutcome, now: Date, duration: Duration)
        -> WebhookAttemptResult
    {
        let attempt = WebhookDelivery.Attempt(
            at: now, statusCode: outcome.statusCode, error: outcome.error,
            durationMilliseconds: Int(clamping: duration.milliseconds))
        if outcome.isSuccess {
            return WebhookAttemptResult(deliveryID: delivery.id, status: .sent, attempt: attempt, nextAttemptAt: nil)
        }
        guard
            let next = nextAttempt(
                afterFailures: delivery.attempts + 1, backoffMilliseconds: delivery.backoffMilliseconds,
                createdAt: delivery.createdAt, now: now)
        else {
            return WebhookAttemptResult(deliveryID: delivery.id, status: .failed, attempt: attempt, nextAttemptAt: nil)
        }
        return WebhookAttemptResult(deliveryID: delivery.id, status: .queued, attempt: attempt, nextAttemptAt: next)
    }
}

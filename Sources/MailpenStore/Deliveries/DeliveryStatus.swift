/// Where a delivery of a durable outgoing queue stands. The relay's deliveries and the webhooks' live the
/// same life (queued, claimed by a sender, then sent or given up), so they share one status.
public enum DeliveryStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its next attempt (at its `nextAttemptAt`; a webhook's also for earlier events to the same
    /// URL).
    case queued
    /// Claimed by a sender, which is talking to the relay or posting to the URL now.
    case sending
    /// Done: accepted by the relay for at least one recipient with none left to try, or answered with a 2xx.
    case sent
    /// Given up: refused permanently, or still failing when the retry time ran out (or its webhook was
    /// removed).
    case failed
}

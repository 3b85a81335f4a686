import Foundation

/// How many attempts one inbox's webhooks may have under way at once, so that an inbox whose endpoints all
/// hang cannot hold every sender's slots; and since when a claim counts as under way, so that claims left
/// `sending` by a node that stopped do not hold the inbox's share until they are recovered.
public struct WebhookShare: Sendable {
    /// Attempts of one inbox under way at once, on every node of the store.
    public var perInbox: Int
    /// Deliveries claimed before this and still `sending` are taken as abandoned, and not counted.
    public var claimedSince: Date

    public init(perInbox: Int, claimedSince: Date) {
        self.perInbox = max(0, perInbox)
        self.claimedSince = claimedSince
    }
}

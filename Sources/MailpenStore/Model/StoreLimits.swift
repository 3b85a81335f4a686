import Foundation

/// Bounds on what one request may ask the store to keep, so that no single call can make an inbox or a
/// message arbitrarily expensive to load, route or search.
public enum StoreLimits {
    /// Recipient routes per inbox; each is tried against every unauthenticated message's recipients.
    public static let maximumRoutesPerInbox = 256
    /// Characters in one route pattern.
    public static let maximumRouteLength = 256
    /// Tags per message.
    public static let maximumTagsPerMessage = 64
    /// Characters (Unicode scalars) in one tag.
    public static let maximumTagLength = 128
}

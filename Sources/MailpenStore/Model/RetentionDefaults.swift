import Foundation
import GRDB

/// The server-wide retention limits that apply to inboxes without their own.
public struct RetentionDefaults: Sendable, Hashable {
    /// Most messages per inbox (oldest pruned first); 0 means unlimited.
    public var maxMessages: Int
    /// Age in seconds after which messages are pruned; `nil` keeps them forever.
    public var maxAgeSeconds: Int?

    public init(maxMessages: Int = 5000, maxAgeSeconds: Int? = nil) {
        self.maxMessages = maxMessages
        self.maxAgeSeconds = maxAgeSeconds
    }
}

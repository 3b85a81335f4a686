import Foundation
import GRDB

/// The server-wide retention limits that apply to inboxes without their own.
public struct RetentionDefaults: Sendable, Hashable {
    /// Most messages per inbox (oldest pruned first); 0 means unlimited.
    public var maximumMessages: Int
    /// Age in seconds after which messages are pruned; `nil` keeps them forever.
    public var maximumAgeSeconds: Int?

    public init(maximumMessages: Int = 5000, maximumAgeSeconds: Int? = nil) {
        self.maximumMessages = maximumMessages
        self.maximumAgeSeconds = maximumAgeSeconds
    }
}

import Foundation
import GRDB

/// One page of a list, with the totals of the whole query.
public struct MessagePage: Sendable, Hashable {
    public var total: Int
    public var unread: Int
    public var offset: Int
    public var limit: Int
    public var messages: [MessageSummary]

    package init(total: Int, unread: Int, offset: Int, limit: Int, messages: [MessageSummary]) {
        self.total = total
        self.unread = unread
        self.offset = offset
        self.limit = limit
        self.messages = messages
    }
}

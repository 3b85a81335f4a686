import Foundation
import GRDB

/// A point in an inbox's history: only messages after it are wanted.
public enum MessageMarker: Sendable, Hashable {
    /// Messages received after this time.
    case time(Date)
    /// Messages that arrived after the message with this id (which need not exist any more).
    case message(id: String)
}
/// Which messages of an inbox a list, a deletion or a wait is about.
public struct MessageQuery: Sendable, Hashable {
    public var inbox: String
    public var search: SearchQuery
    public var since: MessageMarker?

    public init(inbox: String, search: SearchQuery = .all, since: MessageMarker? = nil) {
        self.inbox = inbox
        self.search = search
        self.since = since
    }
}

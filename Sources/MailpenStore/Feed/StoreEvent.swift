/// A change to the store, published on the change feed after it is committed.
///
/// The HTTP layer turns these into server-sent events and uses them to wake waiting requests.
public enum StoreEvent: Sendable, Hashable {
    /// A message was stored.
    case stored(MessageSummary)
    /// Messages were deleted (by a user or by retention).
    case deleted(inbox: String, ids: [String])
    /// Every message of an inbox was deleted.
    case cleared(inbox: String)
    /// A message was marked read or unread, or re-tagged.
    case updated(MessageSummary)
    /// An inbox was created, changed or deleted.
    case inbox(name: String, change: InboxChange)

    /// What happened to an inbox.
    public enum InboxChange: String, Sendable, Hashable {
        case created, updated, deleted
    }

    /// Whether the event says messages are gone.
    var removesMessages: Bool {
        switch self {
        case .deleted, .cleared: return true
        case .inbox(_, let change): return change == .deleted
        default: return false
        }
    }

    /// The inbox the event concerns.
    public var inboxName: String {
        switch self {
        case .stored(let summary), .updated(let summary): return summary.inbox
        case .deleted(let inbox, _), .cleared(let inbox): return inbox
        case .inbox(let name, _): return name
        }
    }
}

/// Chooses, as each change is published, the changes a subscriber gets (see
/// ``MailpenStore/subscribe(bufferSize:where:)``).
public typealias StoreEventFilter = @Sendable (StoreEvent) -> Bool

import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// Which inboxes a request may see. HTTP basic credentials decide it: the operator's `--ui-auth` pair (or no
/// credentials, when the server needs none) sees every inbox; an inbox's own name and SMTP password see that
/// inbox alone, so that a team can be handed its project's credentials without seeing the others'.
public enum InboxAccess: Sendable, Hashable {
    case everyInbox
    case inbox(String)

    /// Whether the inbox with this name (compared without regard to case) is visible.
    public func allows(inbox name: String) -> Bool {
        switch self {
        case .everyInbox: return true
        case .inbox(let visible): return visible.caseInsensitiveCompare(name) == .orderedSame
        }
    }

    /// Why a request these credentials opened is refused (a 403) what lies beyond their inbox, or `nil` when
    /// they open every inbox.
    public var refusalReason: String? {
        inboxName.map { "these credentials open inbox '\($0)' only" }
    }

    /// The one inbox visible, or `nil` when every inbox is.
    public var inboxName: String? {
        switch self {
        case .everyInbox: return nil
        case .inbox(let name): return name
        }
    }
}

/// What the compatibility routes need from the request context: who is asking, and where from. The
/// server's own context conforms; the routes stay generic so that this module does not depend on it.
public protocol CompatRequestContext: RequestContext, WebSocketRequestContext {
    /// The inboxes the request's credentials open.
    var inboxAccess: InboxAccess { get }
    /// The client's address, recorded in the envelope of mail sent through the API.
    var remoteAddress: SocketAddress? { get }
}

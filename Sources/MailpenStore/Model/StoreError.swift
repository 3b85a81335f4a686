import Foundation

/// Why a store operation failed.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case inboxNotFound(String)
    case inboxExists(String)
    case invalidInboxName(String)
    case cannotDeleteDefaultInbox
    case messageNotFound(String)
    case invalidRoute(String)
    case invalidTag(String)
    case tooManyRoutes(Int)
    case tooManyTags(Int)
    case timedOut
    case cannotOpen(path: String, reason: String)
    case closed
    /// The database server is out of reach or failed; trying again later may succeed.
    case unavailable(String)

    public var description: String {
        switch self {
        case .inboxNotFound(let name): return "inbox '\(name)' does not exist"
        case .inboxExists(let name): return "inbox '\(name)' already exists"
        case .invalidInboxName(let name):
            return
                "'\(name)' is not a valid inbox name (1-64 letters, digits and ._@+-, starting with a letter or digit)"
        case .cannotDeleteDefaultInbox: return "the default inbox cannot be deleted"
        case .messageNotFound(let id): return "message '\(id)' does not exist"
        case .invalidRoute(let route):
            return
                "'\(route)' is not a valid route (a recipient pattern of 1-\(StoreLimits.maximumRouteLength) characters without spaces or control characters)"
        case .invalidTag(let tag):
            return "'\(tag)' is not a valid tag (1-\(StoreLimits.maximumTagLength) characters, no control characters)"
        case .tooManyRoutes(let count):
            return "an inbox has at most \(StoreLimits.maximumRoutesPerInbox) routes, not \(count)"
        case .tooManyTags(let count):
            return "a message has at most \(StoreLimits.maximumTagsPerMessage) tags, not \(count)"
        case .timedOut: return "timed out waiting for messages"
        case .cannotOpen(let path, let reason): return "cannot open the database \(path): \(reason)"
        case .closed: return "the store is closed"
        case .unavailable(let reason): return "the database is unavailable: \(reason)"
        }
    }
}

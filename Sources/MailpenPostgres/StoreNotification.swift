import MailpenStore

/// What one node tells the others of a change it committed, as the payload of a PostgreSQL `NOTIFY` on
/// ``channel``: the node that made it, then the change, words separated by spaces:
///
/// | payload | change |
/// |---|---|
/// | `<node> s <inbox> <id>...` | messages stored (the others load their summaries) |
/// | `<node> t <inbox> <id>...` | messages' search texts filled: text terms can find them now |
/// | `<node> d <inbox> <id>...` | messages deleted |
/// | `<node> c <inbox>` | an inbox cleared |
/// | `<node> u <inbox> <id>` | a message's read flag or tags changed (the others load its summary) |
/// | `<node> i <inbox> created\|updated\|deleted` | an inbox created, changed or deleted |
///
/// Inbox names and message ids have no spaces. A payload stays under PostgreSQL's 8,000 bytes: a long
/// list of ids is split over several notifications. PostgreSQL delivers them after the commit, in commit
/// order, to every listening session, the sender's own included (which ignores them by its node id).
struct StoreNotification: Sendable, Hashable {
    enum Change: Sendable, Hashable {
        case stored(inbox: String, ids: [String])
        case searchable(inbox: String, ids: [String])
        case deleted(inbox: String, ids: [String])
        case cleared(inbox: String)
        case updated(inbox: String, id: String)
        case inbox(name: String, change: StoreEvent.InboxChange)
    }

    var node: String
    var change: Change

    static let channel = "mailpen_changes"
    /// Bytes of a payload at most, well under PostgreSQL's 8,000.
    static let largestPayload = 7_500

    /// The payloads announcing `events` made by `node`: summaries travel as their ids. New messages are
    /// announced by the statement that stores them (``BatchInsert``), which makes their ids, so they give
    /// none here.
    static func payloads(for events: [StoreEvent], node: String) -> [String] {
        var payloads: [String] = []
        for event in events {
            switch event {
            case .stored:
                break
            case .deleted(let inbox, let ids):
                payloads += chunked(prefix: "\(node) d \(inbox)", ids: ids)
            case .cleared(let inbox):
                payloads.append("\(node) c \(inbox)")
            case .updated(let summary):
                payloads.append("\(node) u \(summary.inbox) \(summary.id)")
            case .inbox(let name, let change):
                payloads.append("\(node) i \(name) \(change.rawValue)")
            }
        }
        return payloads
    }

    /// How many message ids a payload `prefix` followed by any of `inboxes` can carry, each after a space,
    /// for the batch statement, which announces its messages itself (see ``BatchInsert``).
    static func idsPerPayload(prefix: String, inboxes: [String]) -> Int {
        let longest = inboxes.map(\.utf8.count).max() ?? 0
        let idLength = MessageIdentifierGenerator.identifier(milliseconds: 0, sequence: 0).utf8.count
        return max(1, (largestPayload - prefix.utf8.count - longest) / (1 + idLength))
    }

    /// The payloads announcing that `node` filled the search texts of these messages.
    static func payloads(searchable: [IndexedMessages], node: String) -> [String] {
        searchable.flatMap { chunked(prefix: "\(node) t \($0.inbox)", ids: $0.ids) }
    }

    private static func chunked(prefix: String, ids: [String]) -> [String] {
        var payloads: [String] = []
        var current = prefix
        var count = 0
        for id in ids {
            if count > 0, current.utf8.count + 1 + id.utf8.count > largestPayload {
                payloads.append(current)
                current = prefix
                count = 0
            }
            current += " " + id
            count += 1
        }
        if count > 0 { payloads.append(current) }
        return payloads
    }

    /// Reads a payload back; `nil` for one this version does not know (from a newer node, or not Mailpen's).
    init?(payload: String) {
        let words = payload.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 3 else { return nil }
        node = words[0]
        let inbox = words[2]
        let rest = Array(words.dropFirst(3))
        switch words[1] {
        case "s" where !rest.isEmpty: change = .stored(inbox: inbox, ids: rest)
        case "t" where !rest.isEmpty: change = .searchable(inbox: inbox, ids: rest)
        case "d" where !rest.isEmpty: change = .deleted(inbox: inbox, ids: rest)
        case "c" where rest.isEmpty: change = .cleared(inbox: inbox)
        case "u" where rest.count == 1: change = .updated(inbox: inbox, id: rest[0])
        case "i" where rest.count == 1:
            guard let kind = StoreEvent.InboxChange(rawValue: rest[0]) else { return nil }
            change = .inbox(name: inbox, change: kind)
        default:
            return nil
        }
    }

    init(node: String, change: Change) {
        self.node = node
        self.change = change
    }
}

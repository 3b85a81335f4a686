import Foundation
import MailpenStore

/// Turns the store's changes into the frames Mailpit's `/api/events` web socket sends: `new` with the list
/// entry, `update` with the read flag and tags, `delete` per message, `truncate` when a mailbox is emptied,
/// and `stats` with the new totals after each of those but `update`.
struct MailpitEventFrames: Sendable {
    let store: any MailpenStore
    let access: InboxAccess
    let version: String

    struct Update: Encodable, Sendable {
        var id: String
        var read: Bool
        var tags: [String]

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case read = "Read"
            case tags = "Tags"
        }
    }

    struct Deletion: Encodable, Sendable {
        var id: String

        enum CodingKeys: String, CodingKey {
            case id = "ID"
        }
    }

    struct Stats: Encodable, Sendable {
        var total: Int
        var unread: Int
        var version: String

        enum CodingKeys: String, CodingKey {
            case total = "Total"
            case unread = "Unread"
            case version = "Version"
        }
    }

    /// The frames for one change, none for a change of an inbox the client does not see.
    func frames(for event: StoreEvent) async -> [String] {
        guard access.allows(inbox: event.inboxName) else { return [] }
        var frames: [String] = []
        switch event {
        case .stored(let summary):
            let stored = try? await store.message(id: summary.id)
            let entry = Mailpit.MessageSummary(
                summary, header: stored.map { HeaderBlock.parse($0.raw) }, envelope: stored?.envelope)
            frames.append(CompatJSON.string(Mailpit.Event(type: "new", data: entry)))
        case .updated(let summary):
            frames.append(
                CompatJSON.string(
                    Mailpit.Event(
                        type: "update", data: Update(id: summary.id, read: summary.isRead, tags: summary.tags))))
            return frames
        case .deleted(_, let ids):
            frames += ids.map { CompatJSON.string(Mailpit.Event(type: "delete", data: Deletion(id: $0))) }
        case .cleared:
            frames.append(CompatJSON.string(Mailpit.Event<Deletion>(type: "truncate", data: nil)))
        case .inbox:
            return []
        }
        if let totals = try? await VisibleMessages(store: store, access: access).totals() {
            frames.append(
                CompatJSON.string(
                    Mailpit.Event(
                        type: "stats", data: Stats(total: totals.total, unread: totals.unread, version: version))))
        }
        return frames
    }
}

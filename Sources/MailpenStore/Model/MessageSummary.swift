import Foundation

/// The compact view of a stored message that lists, events and waits return: never the body.
public struct MessageSummary: Sendable, Hashable, Codable {
    public var id: String
    public var inbox: String
    public var receivedAt: Date
    public var from: MessageAddress?
    public var to: [MessageAddress]
    public var cc: [MessageAddress]
    public var subject: String
    public var snippet: String
    public var size: Int
    public var attachmentCount: Int
    public var isRead: Bool
    public var tags: [String]

    public init(
        id: String, inbox: String, receivedAt: Date, from: MessageAddress?, to: [MessageAddress], cc: [MessageAddress],
        subject: String, snippet: String, size: Int, attachmentCount: Int, isRead: Bool, tags: [String]
    ) {
        self.id = id
        self.inbox = inbox
        self.receivedAt = receivedAt
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.snippet = snippet
        self.size = size
        self.attachmentCount = attachmentCount
        self.isRead = isRead
        self.tags = tags
    }
}

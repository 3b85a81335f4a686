import Foundation
import GRDB
import Logging
import NIOCore

/// A message ready for the write transaction: parsed, and every column value computed, before it
/// reaches the writer's thread, which then only binds and steps statements.
struct PreparedMessage: Sendable {
    /// Column values of the `message` row.
    struct Columns: Sendable {
        var envelope: String
        var mailFrom: String
        var recipients: String
        var subject: String
        var from: String
        var to: String
        var cc: String
        var bcc: String
        var replyTo: String
        var dateHeader: Int64?
        var messageIDHeader: String?
        var snippet: String
        var attachmentCount: Int
    }

    var inbox: String
    var inboxCreation: IncomingMessage.InboxCreation
    var routesByRecipient: Bool
    var recipients: [String]
    var size: Int
    var blob: Data
    var columns: Columns
    private var firstFrom: MessageAddress?
    private var to: [MessageAddress]
    private var cc: [MessageAddress]

    init(_ message: IncomingMessage) {
        let digest = MessageDigest(raw: message.raw)
        inbox = message.inbox
        inboxCreation = message.inboxCreation
        routesByRecipient = message.routesByRecipient
        recipients = message.envelope.recipients.map(\.address)
        size = message.raw.count
        blob = Data(message.raw)
        firstFrom = digest.from.first
        to = digest.to
        cc = digest.cc
        columns = Columns(
            envelope: EnvelopeJSON.encode(message.envelope),
            mailFrom: message.envelope.mailFrom,
            recipients: message.envelope.recipients.map(\.address).joined(separator: " "),
            subject: digest.subject,
            from: ColumnList.encode(digest.from),
            to: ColumnList.encode(digest.to),
            cc: ColumnList.encode(digest.cc),
            bcc: ColumnList.encode(digest.bcc),
            replyTo: ColumnList.encode(digest.replyTo),
            dateHeader: digest.date?.milliseconds,
            messageIDHeader: digest.messageID,
            snippet: digest.snippet,
            attachmentCount: digest.attachmentCount)
    }

    func summary(id: String, inbox: String, receivedAt: Date) -> MessageSummary {
        MessageSummary(
            id: id, inbox: inbox, receivedAt: receivedAt, from: firstFrom, to: to, cc: cc, subject: columns.subject,
            snippet: columns.snippet, size: size, attachmentCount: columns.attachmentCount, isRead: false, tags: [])
    }
}

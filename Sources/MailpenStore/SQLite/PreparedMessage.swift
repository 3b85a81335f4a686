import Foundation
import GRDB
import Logging
import MailpenMIME
import MailpenSMTPCore
import NIOCore

/// A message ready for the write transaction: parsed, and every column value computed, before it
/// reaches the writer's thread, which then only binds and steps statements.
package struct PreparedMessage: PreparedRow {
    /// Column values of the `message` row.
    package struct Columns: Sendable {
        package var envelope: String
        package var mailFrom: String
        package var recipients: String
        package var subject: String
        package var from: String
        package var to: String
        package var cc: String
        package var bcc: String
        package var replyTo: String
        package var dateHeader: Int64?
        package var messageIDHeader: String?
        package var snippet: String
        package var attachmentCount: Int
    }

    package var inbox: String
    package var inboxCreation: IncomingMessage.InboxCreation
    package var routesByRecipient: Bool
    package var recipients: [String]
    package var size: Int
    package var blob: Data
    package var columns: Columns
    private var firstFrom: MessageAddress?
    private var to: [MessageAddress]
    private var cc: [MessageAddress]

    package init(_ message: IncomingMessage) {
        self.init(message, parsed: MIMEMessage(message.raw))
    }

    /// The message prepared from its parse, for a caller that needs the parse for more (the search index).
    package init(_ message: IncomingMessage, parsed: MIMEMessage) {
        let digest = MessageDigest(message: parsed)
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

    package func summary(id: String, inbox: String, receivedAt: Date) -> MessageSummary {
        MessageSummary(
            id: id, inbox: inbox, receivedAt: receivedAt, from: firstFrom, to: to, cc: cc, subject: columns.subject,
            snippet: columns.snippet, size: size, attachmentCount: columns.attachmentCount, isRead: false, tags: [])
    }
}

import Foundation
import MailpenMIME

/// The parts of a parsed message that the store keeps in columns, so that lists and searches never
/// touch the raw bytes. Computed before the write transaction, off the writer, in the caller's task.
struct MessageDigest: Sendable {
    var subject: String
    var from: [MessageAddress]
    var to: [MessageAddress]
    var cc: [MessageAddress]
    var bcc: [MessageAddress]
    var replyTo: [MessageAddress]
    var date: Date?
    var messageID: String?
    var snippet: String
    var attachmentCount: Int

    init(raw: [UInt8]) {
        self.init(message: MIMEMessage(raw))
    }

    init(message: MIMEMessage) {
        subject = message.subject ?? ""
        let addresses = message.addressHeaders
        from = addresses.from.map(MessageAddress.init)
        to = addresses.to.map(MessageAddress.init)
        cc = addresses.cc.map(MessageAddress.init)
        bcc = addresses.bcc.map(MessageAddress.init)
        replyTo = addresses.replyTo.map(MessageAddress.init)
        date = message.date
        messageID = message.messageID
        snippet = message.snippet
        attachmentCount = Self.countAttachments(message)
    }
}

extension MessageDigest {
    /// Attachments a recipient sees as such: not inline, and not an image the HTML shows through `cid:`.
    static func countAttachments(_ message: MIMEMessage) -> Int {
        let candidates = message.attachments.filter { !$0.isInline }
        guard candidates.contains(where: { $0.contentID != nil }) else { return candidates.count }
        let html = (message.htmlBody ?? "").lowercased()
        return candidates.filter { attachment in
            guard let contentID = attachment.contentID?.lowercased() else { return true }
            return !html.contains("cid:" + contentID)
        }.count
    }
}

extension MessageAddress {
    init(_ address: MIMEAddress) {
        self.init(name: address.name, address: address.address)
    }
}

/// A compact, fast text encoding for short lists kept in columns (addresses, tags): fields separated by
/// U+001F, entries by U+001E. Control characters are removed from values so they cannot collide.
package enum ColumnList {
    private static let entrySeparator: Character = "\u{1E}"
    private static let fieldSeparator: Character = "\u{1F}"

    package static func encode(_ addresses: [MessageAddress]) -> String {
        addresses.map { clean($0.name ?? "") + String(fieldSeparator) + clean($0.address) }
            .joined(separator: String(entrySeparator))
    }

    package static func decodeAddresses(_ text: String) -> [MessageAddress] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: entrySeparator, omittingEmptySubsequences: false).map { entry in
            let fields = entry.split(separator: fieldSeparator, maxSplits: 1, omittingEmptySubsequences: false)
            let name = fields.first.map(String.init) ?? ""
            let address = fields.count > 1 ? String(fields[1]) : ""
            return MessageAddress(name: name.isEmpty ? nil : name, address: address)
        }
    }

    package static func encode(_ strings: [String]) -> String {
        strings.map(clean).joined(separator: String(entrySeparator))
    }

    package static func decodeStrings(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: entrySeparator).map(String.init)
    }

    private static func clean(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return value }
        return String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 }))
    }
}

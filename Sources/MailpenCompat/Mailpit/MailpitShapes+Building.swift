import Crypto
import Foundation
import MailpenMIME
import MailpenStore

extension Mailpit.Address {
    init(_ address: MessageAddress) {
        self.init(name: address.name ?? "", address: address.address)
    }

    init(_ address: MIMEAddress) {
        self.init(name: address.name ?? "", address: address.address)
    }

    /// What a message without a From header shows: an empty address, so that clients reading
    /// `From.Address` get a string.
    static let empty = Mailpit.Address(name: "", address: "")
}

extension Mailpit.MessageSummary {
    /// A list entry from the store's summary and the facts only the message's header and envelope hold
    /// (Message-ID, Bcc, Reply-To, the SMTP user).
    init(_ summary: MessageSummary, header: MIMEMessage?, envelope: MessageEnvelope?) {
        self.init(
            id: summary.id,
            messageID: header?.messageID ?? "",
            read: summary.isRead,
            from: summary.from.map(Mailpit.Address.init) ?? .empty,
            to: summary.to.map(Mailpit.Address.init),
            cc: summary.cc.map(Mailpit.Address.init),
            bcc: (header?.bcc ?? []).map(Mailpit.Address.init),
            replyTo: (header?.replyTo ?? []).map(Mailpit.Address.init),
            subject: summary.subject,
            created: CompatJSON.time(summary.receivedAt),
            username: envelope?.authenticatedUser,
            tags: summary.tags,
            size: summary.size,
            attachments: summary.attachmentCount,
            snippet: summary.snippet)
    }
}

extension Mailpit.Message {
    /// The full message: addresses, bodies, the List-Unsubscribe summary and the attachments with checksums.
    init(_ stored: StoredMessage, parsed: MIMEMessage) {
        let summary = stored.summary
        var inline: [Mailpit.Attachment] = []
        var attachments: [Mailpit.Attachment] = []
        let parts = parsed.partsByID  // One walk of the tree, not one per attachment.
        for attachment in parsed.attachments {
            let bytes = parts[attachment.partID].map(parsed.decodedBody(of:)) ?? []
            let shape = Mailpit.Attachment(attachment, bytes: bytes)
            // Mailpit lists inline parts that a Content-ID names (embedded images) apart from attachments.
            if attachment.isInline && attachment.contentID != nil {
                inline.append(shape)
            } else {
                attachments.append(shape)
            }
        }
        let returnPath = parsed.header["Return-Path"].map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
        }
        self.init(
            id: summary.id,
            messageID: parsed.messageID ?? "",
            from: parsed.from.first.map(Mailpit.Address.init) ?? summary.from.map(Mailpit.Address.init) ?? .empty,
            to: parsed.to.map(Mailpit.Address.init),
            cc: parsed.cc.map(Mailpit.Address.init),
            bcc: parsed.bcc.map(Mailpit.Address.init),
            replyTo: parsed.replyTo.map(Mailpit.Address.init),
            returnPath: returnPath ?? stored.envelope.mailFrom,
            subject: summary.subject,
            listUnsubscribe: Mailpit.ListUnsubscribe(parsed),
            date: CompatJSON.time(parsed.date ?? summary.receivedAt),
            read: summary.isRead,
            tags: summary.tags,
            username: stored.envelope.authenticatedUser,
            text: parsed.textBody ?? (parsed.htmlBody == nil ? "" : parsed.htmlText),
            html: parsed.htmlBody ?? "",
            size: summary.size,
            inline: inline,
            attachments: attachments)
    }
}

extension Mailpit.Attachment {
    init(_ attachment: MIMEAttachment, bytes: [UInt8]) {
        self.init(
            partID: attachment.partID,
            fileName: attachment.filename ?? "",
            contentType: attachment.contentType,
            contentID: attachment.contentID ?? "",
            size: attachment.size,
            checksums: Checksums(
                md5: Self.hex(Insecure.MD5.hash(data: bytes)),
                sha1: Self.hex(Insecure.SHA1.hash(data: bytes)),
                sha256: Self.hex(SHA256.hash(data: bytes))))
    }

    private static func hex(_ digest: some Digest) -> String {
        digest.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}

extension Mailpit.ListUnsubscribe {
    /// The List-Unsubscribe and List-Unsubscribe-Post headers, with the `<…>` links of the first.
    init(_ parsed: MIMEMessage) {
        let header = parsed.header["List-Unsubscribe"] ?? ""
        var links: [String] = []
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            links.append(String(rest[rest.index(after: open)..<close]).trimmingCharacters(in: .whitespaces))
            rest = rest[rest.index(after: close)...]
        }
        self.init(header: header, headerPost: parsed.header["List-Unsubscribe-Post"] ?? "", links: links, errors: "")
    }
}

/// The header block of a raw message alone: enough for Message-ID, Bcc and Reply-To without parsing the
/// bodies of every message in a list.
enum HeaderBlock {
    static func parse(_ raw: [UInt8]) -> MIMEMessage {
        MIMEMessage(raw[..<end(of: raw)])
    }

    /// The index after the blank line ending the header (or the end of the message).
    static func end(of raw: [UInt8]) -> Int {
        var index = 0
        while index < raw.count {
            if raw[index] == 0x0A {
                let next = index + 1
                if next < raw.count, raw[next] == 0x0A { return next + 1 }
                if next + 1 < raw.count, raw[next] == 0x0D, raw[next + 1] == 0x0A { return next + 2 }
            }
            index += 1
        }
        return raw.count
    }
}

extension Mailpit.AppInformation.RuntimeStats {
    /// The statistics from Mailpen's counts. `SMTPIgnored` stays 0: Mailpen keeps every duplicate it
    /// receives, as Mailpit does without `--ignore-duplicate-ids`.
    init(_ counts: RuntimeCounts, uptime: Int, memory: Int) {
        self.init(
            uptime: uptime, memory: memory, messagesDeleted: counts.messagesDeleted,
            smtpAccepted: counts.smtpAccepted, smtpAcceptedSize: counts.smtpAcceptedBytes,
            smtpRejected: counts.smtpRejected, smtpIgnored: 0)
    }
}

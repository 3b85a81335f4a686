import Foundation
import MailpenMIME
import MailpenSMTPCore
import MailpenStore

/// Decides whether a just-stored message matches an auto-relay rule's query, on the message itself rather
/// than through the search index (which takes in new mail a moment later). The grammar is the search's; each
/// condition is a case-insensitive substring test of the same fields the search looks at.
struct AutoRelayMatcher {
    let summary: MessageSummary
    let envelope: MessageEnvelope
    /// The message's bytes: empty when no query looks into them (see ``needsContent(_:)``).
    let raw: [UInt8]
    /// Parsed only when a condition needs the message's headers or text (`rcpt:`, `subject:`, sizes and
    /// dates do not).
    private var parsedMessage: MIMEMessage?
    private var searchableText: String?

    init(summary: MessageSummary, envelope: MessageEnvelope, raw: [UInt8]) {
        self.summary = summary
        self.envelope = envelope
        self.raw = raw
    }

    private var parsed: MIMEMessage {
        mutating get {
            if let parsedMessage { return parsedMessage }
            let parsed = MIMEMessage(raw)
            parsedMessage = parsed
            return parsed
        }
    }

    /// Whether `query` looks into the message's bytes (its headers or text), or only at its summary and
    /// envelope, which are cheaper to read.
    static func needsContent(_ query: SearchQuery) -> Bool {
        query.terms.contains { term in
            switch term.condition {
            case .text, .messageID, .header: return true
            case .address(let field, _): return field != .recipient
            default: return false
            }
        }
    }

    mutating func matches(_ query: SearchQuery) -> Bool {
        for term in query.terms where matches(term.condition) == term.isNegated {
            return false
        }
        return true
    }

    private mutating func matches(_ condition: SearchCondition) -> Bool {
        switch condition {
        case .text(let value, _):
            if searchableText == nil {
                let addresses = parsed.allAddresses.map(Self.text).joined(separator: " ")
                searchableText = SearchFolding.fold(summary.subject + " " + addresses + " " + parsed.searchableText)
            }
            return searchableText?.contains(value) ?? false
        case .address(let field, let value):
            let addresses: [String]
            switch field {
            case .from: addresses = parsed.from.map(Self.text)
            case .to: addresses = parsed.to.map(Self.text)
            case .cc: addresses = parsed.cc.map(Self.text)
            case .bcc: addresses = parsed.bcc.map(Self.text)
            case .replyTo: addresses = parsed.replyTo.map(Self.text)
            case .addressed: addresses = parsed.allAddresses.map(Self.text)
            case .recipient: addresses = envelope.recipients.map(\.address)
            }
            return addresses.contains { SearchFolding.fold($0).contains(value) }
        case .subject(let value):
            return SearchFolding.fold(summary.subject).contains(value)
        case .messageID(let value):
            return parsed.messageID.map { SearchFolding.fold($0).contains(value) } ?? false
        case .tag(let value):
            return summary.tags.contains { SearchFolding.fold($0) == value }
        case .header(let name, let value):
            let values = parsed.header.unfoldedValues(named: name)
            guard let value else { return !values.isEmpty }
            return values.contains { SearchFolding.fold($0).contains(value) }
        case .isRead(let isRead):
            return summary.isRead == isRead
        case .hasAttachment:
            return summary.attachmentCount > 0
        case .receivedBefore(let date):
            return summary.receivedAt < date
        case .receivedOnOrAfter(let date):
            return summary.receivedAt >= date
        case .largerThan(let size):
            return summary.size > size
        case .smallerThan(let size):
            return summary.size < size
        }
    }

    /// The display name and the address, as the search index holds them.
    private static func text(_ address: MIMEAddress) -> String {
        (address.name.map { $0 + " " } ?? "") + address.address
    }
}

import MailpenMIME

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Evaluates a SEARCH key for one message of the session's view. Flags, sizes, dates, UIDs and sequence
/// numbers come from the snapshot; header and text keys read the parsed message the caller loaded
/// (``IMAPSearchKey/needsContent``). Text matches are case-insensitive substring matches on the decoded
/// header values and on the decoded text and HTML bodies, as Dovecot's are; dates are UTC days.
struct IMAPSearchEvaluator {
    let largestSequenceNumber: UInt32
    let largestUID: UInt32

    func matches(
        _ key: IMAPSearchKey, message: IMAPSessionMessage, sequenceNumber: UInt32, content: IMAPMessageContent?
    ) -> Bool {
        switch key {
        case .all:
            return true
        case .and(let keys):
            return keys.allSatisfy { matches($0, message: message, sequenceNumber: sequenceNumber, content: content) }
        case .or(let first, let second):
            return matches(first, message: message, sequenceNumber: sequenceNumber, content: content)
                || matches(second, message: message, sequenceNumber: sequenceNumber, content: content)
        case .not(let inner):
            return !matches(inner, message: message, sequenceNumber: sequenceNumber, content: content)
        case .sequenceNumbers(let set):
            return set.contains(sequenceNumber, largest: largestSequenceNumber)
        case .uids(let set):
            return set.contains(message.info.uid, largest: largestUID)
        case .flag(let flag, let set):
            return message.has(flag) == set
        case .recent(let recent):
            return !recent  // no message is recent
        case .new:
            return false  // NEW is RECENT UNSEEN
        case .larger(let limit):
            return size(of: message, content) > limit
        case .smaller(let limit):
            return size(of: message, content) < limit
        case .received(let comparison, let date):
            let day = IMAPDate(secondsSince1970: IMAPDateTime.secondsSince1970(message.info.internalDate))
            return Self.compare(day, comparison, date)
        case .sent(let comparison, let date):
            guard let sent = content?.message.date else { return false }
            return Self.compare(IMAPDate(secondsSince1970: IMAPDateTime.secondsSince1970(sent)), comparison, date)
        case .header(let name, let text):
            guard let content else { return false }
            let values = content.message.header.fields.filter { $0.hasName(name) }.map(\.value)
            if text.isEmpty { return !values.isEmpty }
            return values.contains { Self.contains($0, text) }
        case .body(let text):
            guard let content else { return false }
            return Self.contains(content.message.searchableText, text)
        case .text(let text):
            guard let content else { return false }
            let header = content.message.header.fields.map { $0.name + ": " + $0.value }.joined(separator: "\n")
            return Self.contains(header, text) || Self.contains(content.message.searchableText, text)
        }
    }

    private func size(of message: IMAPSessionMessage, _ content: IMAPMessageContent?) -> Int {
        content?.bytes.count ?? message.info.size
    }

    static func compare(_ day: IMAPDate, _ comparison: IMAPDateComparison, _ date: IMAPDate) -> Bool {
        switch comparison {
        case .before: return day < date
        case .on: return day == date
        case .since: return day >= date
        }
    }

    static func contains(_ haystack: String, _ needle: String) -> Bool {
        haystack.lowercased().contains(needle.lowercased())
    }
}

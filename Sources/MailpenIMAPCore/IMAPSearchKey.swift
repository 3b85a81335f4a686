import MailpenMIME

/// A SEARCH key (RFC 3501 §6.4.4). Keys that read the message and have a counterpart in Mailpen's search
/// grammar are answered by the store (``IMAPSearchTranslation``); the session evaluates the others itself
/// over its snapshot and, where they read the message (sent dates, skipped header fields), over the parsed
/// messages the caller loads for it; see ``IMAPSearchEvaluator``.
public indirect enum IMAPSearchKey: Sendable, Hashable {
    case all
    case and([IMAPSearchKey])
    case or(IMAPSearchKey, IMAPSearchKey)
    case not(IMAPSearchKey)
    case sequenceNumbers(IMAPSequenceSet)
    case uids(IMAPSequenceSet)
    /// A flag is set (ANSWERED, DELETED, DRAFT, FLAGGED, SEEN, KEYWORD x) or, with `set: false`, not set.
    case flag(IMAPFlag, set: Bool)
    /// NEW, OLD and RECENT: Mailpen has no recent messages (RFC 3501 allows a server to set none).
    case recent(Bool)
    case new
    case larger(Int)
    case smaller(Int)
    /// BEFORE, ON, SINCE over the internal date.
    case received(IMAPDateComparison, IMAPDate)
    /// SENTBEFORE, SENTON, SENTSINCE over the Date header.
    case sent(IMAPDateComparison, IMAPDate)
    /// A header field (FROM, TO, CC, BCC, SUBJECT, HEADER name) contains the text, case-insensitively.
    case header(String, String)
    case body(String)
    case text(String)

    /// Whether evaluating the key needs the message's content.
    var needsContent: Bool {
        switch self {
        case .and(let keys): return keys.contains { $0.needsContent }
        case .or(let a, let b): return a.needsContent || b.needsContent
        case .not(let key): return key.needsContent
        case .sent, .header, .body, .text: return true
        default: return false
        }
    }
}

/// BEFORE/ON/SINCE.
public enum IMAPDateComparison: Sendable, Hashable {
    case before
    case on
    case since
}

/// A calendar date as IMAP searches use it (`1-Feb-1994`), without a time or zone.
public struct IMAPDate: Sendable, Hashable, Comparable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public static func < (lhs: IMAPDate, rhs: IMAPDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static let monthNames = MIMEDate.monthAbbreviations

    /// The UTC calendar date of a time given in seconds since 1970 (days-from-civil, inverted).
    init(secondsSince1970 seconds: Int64) {
        let (year, month, day) = MIMEDate.civilDate(daysSince1970: seconds.floorDivided(by: 86_400))
        self.init(year: year, month: month, day: day)
    }
}

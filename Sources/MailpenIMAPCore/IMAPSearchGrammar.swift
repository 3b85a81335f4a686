import MailpenMIME

/// Writes terms of Mailpen's search grammar (the one `?q=` and the web UI read; see docs/search.md) so
/// that the store reads back exactly the values an IMAP SEARCH named. The session only writes text: the
/// store parses it, so this target stays free of storage.
enum IMAPSearchGrammar {
    /// A field term such as `from:"alice smith"`; nil for an empty value, which the grammar refuses.
    static func field(_ name: String, _ value: String) -> String? {
        value.isEmpty ? nil : name + ":" + SearchValueQuoting.quoted(value)
    }

    /// A bare word of the grammar — a word prefix, or words in a row with the last one a prefix — or nil
    /// when `text` has no letter or digit (the grammar would look for it in other places). Characters
    /// before the first letter or digit are dropped: the word index ignores them anyway, and a leading
    /// `-`, `!` or quote would change the term's meaning. A word of letters and digits is written as it is;
    /// any other keeps its first character outside the quotes, which the grammar joins to it, since a quote
    /// at the start of a term makes a phrase instead.
    static func word(_ text: String) -> String? {
        let scalars = text.unicodeScalars.drop { !isWordScalar($0) }
        guard let first = scalars.first else { return nil }
        if scalars.allSatisfy(isWordScalar) { return String(String.UnicodeScalarView(scalars)) }
        return String(first) + SearchValueQuoting.quoted(String(String.UnicodeScalarView(scalars.dropFirst())))
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// `YYYY-MM-DD`.
    static func day(_ date: IMAPDate) -> String {
        func padded(_ number: Int, _ width: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(date.year, 4) + "-" + padded(date.month, 2) + "-" + padded(date.day, 2)
    }
}

extension IMAPDate {
    /// Whether the grammar accepts the date: a day that exists in the years 1 to 9999.
    var isWritableInSearchGrammar: Bool {
        (1...9999).contains(year) && (1...12).contains(month) && (1...daysInMonth).contains(day)
    }

    private var daysInMonth: Int {
        switch month {
        case 2:
            let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return isLeap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day after, or nil after 9999-12-31 (or for a date that does not exist).
    var nextDay: IMAPDate? {
        guard isWritableInSearchGrammar else { return nil }
        if day < daysInMonth { return IMAPDate(year: year, month: month, day: day + 1) }
        if month < 12 { return IMAPDate(year: year, month: month + 1, day: 1) }
        return year < 9999 ? IMAPDate(year: year + 1, month: 1, day: 1) : nil
    }
}

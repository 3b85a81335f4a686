#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// IMAP's date-time (RFC 3501 §9, `"dd-Mon-yyyy hh:mm:ss +zzzz"`, the day padded with a space), in UTC.
enum IMAPDateTime {
    static func format(_ date: Date) -> String {
        let seconds = secondsSince1970(date)
        let day = IMAPDate(secondsSince1970: seconds)
        let secondOfDay = ((seconds % 86_400) + 86_400) % 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let dayText = day.day < 10 ? " \(day.day)" : "\(day.day)"
        var year = String(day.year)
        while year.count < 4 { year = "0" + year }
        return "\(dayText)-\(IMAPDate.monthNames[day.month - 1])-\(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }

    /// Whole seconds since 1970, kept to years 0 through 9999 so that no date a message names (or a NaN)
    /// can trap the conversion or print a year IMAP cannot carry.
    static func secondsSince1970(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else { return 0 }
        return Int64(min(max(seconds, -62_167_219_200), 253_402_300_799).rounded(.down))
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// IMAP's date-time (RFC 3501 §9, `"dd-Mon-yyyy hh:mm:ss +zzzz"`, the day padded with a space), in UTC.
enum IMAPDateTime {
    static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let day = IMAPDate(secondsSince1970: seconds)
        let secondOfDay = ((seconds % 86_400) + 86_400) % 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let dayText = day.day < 10 ? " \(day.day)" : "\(day.day)"
        var year = String(day.year)
        while year.count < 4 { year = "0" + year }
        return "\(dayText)-\(IMAPDate.monthNames[day.month - 1])-\(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Parser for the Date header (RFC 5322 §3.3) and the obsolete and broken forms
/// found in real mail.
///
/// Accepts: optional day name, day and month in either order, full month names,
/// 2-digit (RFC 5322 §4.3: 00–49 → 20xx) and 3-digit years, missing seconds,
/// `.` as time separator, named and military zones, `+hh:mm`, `GMT+hhmm`, trailing
/// comments, ctime/asctime order and ISO 8601. A missing or `-0000` zone means UTC.
/// Anything else yields nil rather than a guess.
public enum MIMEDate {
    /// The months as RFC 5322 (and IMAP) write them.
    package static let monthAbbreviations = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// The calendar date `days` after 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithm, the
    /// inverse of the day count in ``parse(_:)``).
    package static func civilDate(daysSince1970 days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }

    /// `date` as a Date header value in UTC, `Tue, 05 Jul 2025 10:00:00 +0000` (RFC 5322 §3.3): the one
    /// writer for every header Mailpen composes.
    public static func string(from date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(days - days.floorDivided(by: 7) * 7)]), \(twoDigits(day)) "
            + "\(monthAbbreviations[month - 1]) \(year) \(twoDigits(secondOfDay / 3600)):"
            + "\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) +0000"
    }

    /// Parses a Date header value; nil when it is not a recognisable date.
    public static func parse(_ value: String) -> Date? {
        guard let seconds = self.secondsSince1970(value) else {
            return nil
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    static let monthNumbers: [String: Int] = {
        var numbers: [String: Int] = [:]
        for (index, name) in monthNames.enumerated() {
            numbers[name] = index % 12 + 1
        }
        return numbers
    }()

    static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december",
    ]
    static let dayNames: Set<String> = [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday",
    ]
    static let zones: [String: Int] = [
        "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "AST": -400, "ADT": -300, "EST": -500, "EDT": -400,
        "CST": -600, "CDT": -500, "MST": -700, "MDT": -600, "PST": -800, "PDT": -700,
    ]

    static func secondsSince1970(_ value: String) -> Int64? {
        canonicalSeconds(value) ?? generalSeconds(value)
    }

    /// Parses every form this type accepts, word by word; ``canonicalSeconds(_:)`` takes the usual one first.
    package static func generalSeconds(_ value: String) -> Int64? {
        // Drop comments, e.g. "+0000 (UTC)".
        var bytes: [UInt8] = []
        var depth = 0
        for byte in value.utf8 {
            if byte == ASCII.openParen {
                depth += 1
                bytes.append(ASCII.space)
            } else if byte == ASCII.closeParen && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                bytes.append(byte)
            }
        }
        if bytes.count > 200 {
            return nil
        }
        if let iso = self.parseISO8601(bytes) {
            return iso
        }
        // White-space separated words.
        var data: [String] = []
        var wordStart = -1
        for index in 0...bytes.count {
            if index == bytes.count || ASCII.isWhitespace(bytes[index]) {
                if wordStart >= 0 {
                    data.append(String(decoding: bytes[wordStart..<index], as: UTF8.self))
                    wordStart = -1
                }
            } else if wordStart < 0 {
                wordStart = index
            }
        }
        guard !data.isEmpty else {
            return nil
        }
        // Day-of-week, with or without white space after its comma.
        if data[0].hasSuffix(",") || self.dayNames.contains(ByteText.lowercasedASCII(data[0])) {
            data.removeFirst()
        } else if let comma = data[0].lastIndex(of: ",") {
            data[0] = String(data[0][data[0].index(after: comma)...])
        }
        if data.count == 3 {
            // RFC 850: "01-Jan-24 10:00:00 GMT"
            let stuff = Self.split(data[0], ASCII.minus)
            if stuff.count == 3 {
                data = stuff + data[1...]
            }
        }
        if data.count == 4 {
            let last = data[3]
            if let sign = last.firstIndex(where: { $0 == "+" || $0 == "-" }), sign > last.startIndex {
                data[3...] = [String(last[..<sign]), String(last[sign...])]
            } else {
                data.append("")
            }
        }
        guard data.count >= 5 else {
            return nil
        }
        var day = data[0]
        var month = ByteText.lowercasedASCII(data[1])
        var year = data[2]
        var time = data[3]
        var zone = data[4]
        if data.count >= 6, ByteText.equalsIgnoringCase(zone, "GMT") || ByteText.equalsIgnoringCase(zone, "UTC"),
            let first = data[5].first, first == "+" || first == "-"
        {
            zone = data[5]  // "GMT +0200"
        }
        guard !day.isEmpty, !month.isEmpty, !year.isEmpty else {
            return nil
        }
        var monthNumber = self.monthNumbers[month]
        if monthNumber == nil {
            (day, month) = (month, ByteText.lowercasedASCII(day))
            monthNumber = self.monthNumbers[month]
        }
        guard let monthNumber else {
            return nil
        }
        if day.hasSuffix(",") {
            day.removeLast()
        }
        if year.utf8.contains(ASCII.colon) {
            (year, time) = (time, year)
        }
        if year.hasSuffix(",") {
            year.removeLast()
        }
        if let first = year.utf8.first, !ASCII.isDigit(first) {
            (year, zone) = (zone, year)
        }
        if time.hasSuffix(",") {
            time.removeLast()
        }
        var timeParts = Self.split(time, ASCII.colon)
        if timeParts.count == 1 {
            timeParts = Self.split(time, ASCII.dot)
        }
        guard timeParts.count == 2 || timeParts.count == 3,
            let yearValue = Self.number(year), let dayValue = Self.number(day),
            let hour = Self.number(timeParts[0]), let minute = Self.number(timeParts[1])
        else {
            return nil
        }
        var second = 0
        if timeParts.count == 3 {
            guard let value = Self.number(timeParts[2]) else {
                return nil
            }
            second = value
        }
        var fullYear = yearValue
        if year.count <= 2 {
            fullYear += yearValue < 50 ? 2000 : 1900
        } else if year.count == 3 {
            fullYear += 1900
        }
        guard let offset = Self.zoneOffset(zone) else {
            return nil
        }
        return Self.epochSeconds(
            year: fullYear, month: monthNumber, day: dayValue, hour: hour, minute: minute, second: second,
            offsetSeconds: offset
        )
    }

    /// Splits on an ASCII byte, keeping empty pieces.
    private static func split(_ text: String, _ separator: UInt8) -> [String] {
        var pieces: [String] = []
        var piece: [UInt8] = []
        for byte in text.utf8 {
            if byte == separator {
                pieces.append(String(decoding: piece, as: UTF8.self))
                piece.removeAll(keepingCapacity: true)
            } else {
                piece.append(byte)
            }
        }
        pieces.append(String(decoding: piece, as: UTF8.self))
        return pieces
    }

    /// Parses an unsigned decimal of at most 4 digits.
    private static func number<S: StringProtocol>(_ text: S) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 4, text.utf8.allSatisfy(ASCII.isDigit) else {
            return nil
        }
        return Int(text)
    }

    /// The zone offset in seconds east of UTC; unknown zone names count as UTC
    /// (RFC 5322 §4.3 says to treat unknown military zones as -0000), malformed
    /// numeric offsets make the date invalid.
    private static func zoneOffset(_ zone: String) -> Int? {
        var text = String(decoding: zone.utf8.map { ASCII.isAlpha($0) ? $0 & ~0x20 : $0 }, as: UTF8.self)
        if text.isEmpty {
            return 0
        }
        if let named = self.zones[text] {
            return Self.hhmmToSeconds(named)
        }
        for prefix in ["GMT", "UTC", "UT"] where text.hasPrefix(prefix) && text.count > prefix.count {
            text = String(text.dropFirst(prefix.count))
            break
        }
        guard let signCharacter = text.first, signCharacter == "+" || signCharacter == "-" else {
            // Alphabetic zones we do not know (military letters, "LOCAL"): -0000.
            return text.utf8.allSatisfy(ASCII.isAlpha) ? 0 : nil
        }
        let sign = signCharacter == "-" ? -1 : 1
        var digits = text.dropFirst()
        if digits.count == 5, digits.dropFirst(2).first == ":" {
            digits = digits.prefix(2) + digits.dropFirst(3)
        }
        guard digits.count == 4, let value = Self.number(digits) else {
            if digits.count <= 2, let hours = Self.number(digits), hours <= 14 {
                return sign * hours * 3600
            }
            return nil
        }
        guard value % 100 < 60, value / 100 <= 18 else {
            return nil
        }
        return sign * Self.hhmmToSeconds(value)
    }

    private static func hhmmToSeconds(_ value: Int) -> Int {
        let sign = value < 0 ? -1 : 1
        let magnitude = abs(value)
        return sign * ((magnitude / 100) * 3600 + (magnitude % 100) * 60)
    }

    /// "2024-01-31T10:00:00Z", "2024-01-31 10:00:00+01:00", with optional fraction.
    private static func parseISO8601(_ bytes: [UInt8]) -> Int64? {
        var text = bytes[...]
        while let first = text.first, ASCII.isWhitespace(first) {
            text = text.dropFirst()
        }
        while let last = text.last, ASCII.isWhitespace(last) {
            text = text.dropLast()
        }
        let b = Array(text)
        guard b.count >= 19, b[4] == ASCII.minus, b[7] == ASCII.minus,
            b[10] == 0x54 || b[10] == 0x74 || b[10] == ASCII.space, b[13] == ASCII.colon, b[16] == ASCII.colon
        else {
            return nil
        }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard ASCII.isDigit(b[index]) else {
                    return nil
                }
                value = value * 10 + Int(b[index] - ASCII.zero)
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
            let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19)
        else {
            return nil
        }
        var index = 19
        if index < b.count && (b[index] == ASCII.dot || b[index] == ASCII.comma) {
            index += 1
            while index < b.count && ASCII.isDigit(b[index]) {
                index += 1
            }
        }
        let zone = String(decoding: b[index...], as: UTF8.self)
        guard month >= 1 && month <= 12, let offset = zone.isEmpty ? 0 : Self.zoneOffset(zone) else {
            return nil
        }
        return Self.epochSeconds(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, offsetSeconds: offset
        )
    }

    static func epochSeconds(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offsetSeconds: Int
    ) -> Int64? {
        guard year >= 1 && year <= 9999, month >= 1 && month <= 12, hour <= 23, minute <= 59, second <= 60 else {
            return nil
        }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day >= 1 && day <= monthDays[month - 1] else {
            return nil
        }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = Int64(era) * 146_097 + Int64(dayOfEra) - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
    }
}

extension Int64 {
    /// The quotient rounded towards minus infinity, so that times before 1970 fall in the right second.
    package func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

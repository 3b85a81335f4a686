extension MIMEDate {
    /// The byte-level path for the form nearly all mail writes, `[Ddd, ]D Mon YYYY HH:MM:SS ±HHMM`, with
    /// runs of spaces or tabs between the fields and an optional zone comment after them (`+0000 (UTC)`,
    /// as Postfix and many others write it): it reads the bytes once, where the general parser builds a
    /// string for every word. `nil` for anything else (other forms, nested or escaped comments,
    /// out-of-range fields), which the general parser then reads; where this path gives a time, the general
    /// parser gives the same one (tested, and checked by the MIME fuzzer).
    package static func canonicalSeconds(_ value: String) -> Int64? {
        value.utf8.withContiguousStorageIfAvailable { canonicalSeconds(bytes: $0) } ?? nil
    }

    private static func canonicalSeconds(bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var reader = CanonicalDateReader(bytes: bytes)
        if bytes.count > 4, ASCII.isAlpha(bytes[0]), ASCII.isAlpha(bytes[1]), ASCII.isAlpha(bytes[2]),
            bytes[3] == ASCII.comma
        {
            reader.offset = 4
            guard reader.skipBlanks() else { return nil }
        }
        guard let day = reader.number(digits: 1...2), reader.skipBlanks(),
            let month = reader.month(), reader.skipBlanks(),
            let year = reader.number(digits: 4...4), reader.skipBlanks(),
            let hour = reader.number(digits: 2...2), reader.skip(ASCII.colon),
            let minute = reader.number(digits: 2...2), reader.skip(ASCII.colon),
            let second = reader.number(digits: 2...2), reader.skipBlanks(),
            let sign = reader.sign(), let zone = reader.number(digits: 4...4), reader.skipZoneComment(),
            zone % 100 < 60, zone / 100 <= 18
        else { return nil }
        return epochSeconds(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            offsetSeconds: sign * (zone / 100 * 3600 + zone % 100 * 60))
    }
}

/// Reads the fields of a canonical date from its bytes, front to back.
private struct CanonicalDateReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// Skips one or more spaces and tabs; `false` when there is none.
    mutating func skipBlanks() -> Bool {
        let start = offset
        while offset < bytes.count, ASCII.isWSP(bytes[offset]) { offset += 1 }
        return offset > start
    }

    /// Reads to the end what may follow the zone: blanks, then at most one comment of printable ASCII
    /// without parentheses or backslashes, then blanks. `false` when anything else follows.
    mutating func skipZoneComment() -> Bool {
        _ = skipBlanks()
        if skip(ASCII.openParen) {
            while offset < bytes.count, bytes[offset] != ASCII.closeParen {
                let byte = bytes[offset]
                guard byte >= ASCII.space, byte <= ASCII.tilde, byte != ASCII.openParen, byte != ASCII.backslash else {
                    return false
                }
                offset += 1
            }
            guard skip(ASCII.closeParen) else { return false }
            _ = skipBlanks()
        }
        return isAtEnd
    }

    /// A decimal of a number of digits in `digits`, as many as there are.
    mutating func number(digits: ClosedRange<Int>) -> Int? {
        var value = 0
        var count = 0
        while count < digits.upperBound, offset < bytes.count, ASCII.isDigit(bytes[offset]) {
            value = value * 10 + Int(bytes[offset] - ASCII.zero)
            offset += 1
            count += 1
        }
        return digits.contains(count) ? value : nil
    }

    /// A month's three-letter name, in any case, as 1–12.
    mutating func month() -> Int? {
        guard offset + 3 <= bytes.count,
            let index = Self.monthKeys.firstIndex(of: Self.key(bytes[offset], bytes[offset + 1], bytes[offset + 2]))
        else { return nil }
        offset += 3
        return index + 1
    }

    /// Three letters, lower-cased, as one number; anything but letters makes a key no month has.
    private static func key(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt32 {
        guard ASCII.isAlpha(a), ASCII.isAlpha(b), ASCII.isAlpha(c) else { return 0 }
        return UInt32(a | 0x20) << 16 | UInt32(b | 0x20) << 8 | UInt32(c | 0x20)
    }

    private static let monthKeys: [UInt32] = MIMEDate.monthAbbreviations.map { name in
        let letters = Array(name.utf8)
        return key(letters[0], letters[1], letters[2])
    }

    mutating func sign() -> Int? {
        if skip(ASCII.plus) { return 1 }
        if skip(ASCII.minus) { return -1 }
        return nil
    }
}

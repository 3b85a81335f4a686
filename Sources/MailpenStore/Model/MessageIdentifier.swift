import Foundation

/// Makes message ids: ULIDs (26 Crockford base-32 characters: 48-bit millisecond time, 80 random bits)
/// that sort by arrival even within one millisecond, because each id is the previous one plus one when
/// the clock has not moved on.
package struct MessageIdentifierGenerator: Sendable {
    private var lastMilliseconds: UInt64 = 0
    private var lastRandom: (high: UInt16, low: UInt64) = (0, 0)

    package init() {}

    package mutating func next(at date: Date) -> String {
        let milliseconds = max(UInt64(max(0, date.timeIntervalSince1970 * 1000)), lastMilliseconds)
        if milliseconds == lastMilliseconds {
            let (low, overflow) = lastRandom.low.addingReportingOverflow(1)
            lastRandom = (overflow ? lastRandom.high &+ 1 : lastRandom.high, low)
        } else {
            lastMilliseconds = milliseconds
            lastRandom = (UInt16.random(in: 0...UInt16.max) & 0x7FFF, UInt64.random(in: 0...UInt64.max))
        }
        return Self.encode(milliseconds: lastMilliseconds, high: lastRandom.high, low: lastRandom.low)
    }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// The id of a message numbered `sequence` by a store that numbers messages in one sequence shared by
    /// every writer, such as a database several servers write to: ids of different writers cannot collide,
    /// and sort by time, then by number. `milliseconds` must come from one clock shared by those writers.
    package static func identifier(milliseconds: UInt64, sequence: UInt64) -> String {
        encode(milliseconds: milliseconds, high: 0, low: sequence)
    }

    static func encode(milliseconds: UInt64, high: UInt16, low: UInt64) -> String {
        var characters = [UInt8](repeating: 0, count: 26)
        // 48 bits of time in 10 characters (the first holds 3 bits).
        var time = milliseconds & 0xFFFF_FFFF_FFFF
        for index in stride(from: 9, through: 0, by: -1) {
            characters[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 random bits in 16 characters: 16 high bits then 64 low bits.
        var lowBits = low
        var highBits = UInt64(high)
        for index in stride(from: 25, through: 10, by: -1) {
            characters[index] = alphabet[Int(lowBits & 31)]
            lowBits = (lowBits >> 5) | ((highBits & 31) << 59)
            highBits >>= 5
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

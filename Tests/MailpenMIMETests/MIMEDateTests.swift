import Foundation
import Testing

@testable import MailpenMIME

@Suite("Date header")
struct MIMEDateTests {
    @Test(
        "parses",
        arguments: [
            ("Tue, 12 Mar 2024 16:14:11 +0100", 1_710_256_451),
            ("12 Mar 2024 16:14:11 +0100", 1_710_256_451),
            ("Tue,12 Mar 2024 16:14:11 +0100", 1_710_256_451),
            ("Tue, 12 Mar 2024 15:14:11 GMT", 1_710_256_451),
            ("Tue, 12 Mar 2024 15:14:11 UT", 1_710_256_451),
            ("Tue, 12 Mar 2024 15:14:11 Z", 1_710_256_451),
            ("Tue, 12 Mar 2024 15:14:11 -0000", 1_710_256_451),
            ("Tue, 12 Mar 2024 15:14:11", 1_710_256_451),  // no zone: UTC
            ("Tue, 12 Mar 2024 15:14:11 +0000 (UTC)", 1_710_256_451),
            ("Tue, 12 Mar 2024 10:14:11 EST", 1_710_256_451),
            ("Tue, 12 Mar 2024 11:14:11 EDT", 1_710_256_451),
            ("Tue, 12 Mar 2024 08:14:11 PDT", 1_710_256_451),
            ("Tue, 12 Mar 24 15:14:11 +0000", 1_710_256_451),  // two-digit year
            ("Tue, 12 March 2024 15:14:11 +0000", 1_710_256_451),  // full month name
            ("Tue, 12 Mar 2024 15:14 +0000", 1_710_256_440),  // no seconds
            ("Tue, 12 Mar 2024 15.14.11 +0000", 1_710_256_451),  // dots
            ("Mar 12 2024 15:14:11 +0000", 1_710_256_451),  // month first
            ("Tue Mar 12 15:14:11 2024", 1_710_256_451),  // asctime
            ("Tue, 12 Mar 2024 15:14:11 +00:00", 1_710_256_451),
            ("Tue, 12 Mar 2024 17:14:11 GMT+0200", 1_710_256_451),
            ("Tue, 12 Mar 2024 15:14:11 A", 1_710_256_451),  // military zone: -0000
            ("2024-03-12T15:14:11Z", 1_710_256_451),
            ("2024-03-12T16:14:11.250+01:00", 1_710_256_451),
            ("Thu, 01 Jan 1970 00:00:00 +0000", 0),
            ("Mon, 1 Jan 49 00:00:00 +0000", 2_493_072_000),  // 49 → 2049
            ("Fri, 1 Jan 50 00:00:00 +0000", -631_152_000),  // 50 → 1950
            ("Thu, 29 Feb 2024 00:00:00 +0000", 1_709_164_800),
        ]
    )
    func parses(input: String, expected: Int) throws {
        let date = try #require(MIMEDate.parse(input))
        #expect(Int(date.timeIntervalSince1970) == expected)
    }

    @Test(
        "rejects rather than guesses",
        arguments: [
            "", "sometime last tuesday", "Tue, 31 Feb 2024 10:00:00 +0000", "Tue, 12 Mar 2024 25:00:00 +0000",
            "Tue, 12 Mar 2024 10:61:00 +0000", "Tue, 12 Foo 2024 10:00:00 +0000", "12 Mar 2024",
            "Tue, 12 Mar 2024 10:00:00 +99",
            "Thu, 29 Feb 2023 00:00:00 +0000", "2024-13-01T00:00:00Z", String(repeating: "1 ", count: 500),
        ]
    )
    func rejects(input: String) {
        #expect(MIMEDate.parse(input) == nil)
    }

    @Test("message date view")
    func view() {
        #expect(message("Date: Tue, 12 Mar 2024 15:14:11 +0000", "", "").date?.timeIntervalSince1970 == 1_710_256_451)
        #expect(message("Date: garbage", "", "").date == nil)
        #expect(message("Subject: none", "", "").date == nil)
    }

    @Test(
        "writes",
        arguments: [
            (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (-1, "Wed, 31 Dec 1969 23:59:59 +0000"),
            (1_710_256_451.9, "Tue, 12 Mar 2024 15:14:11 +0000"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 +0000"),
        ])
    func writes(seconds: Double, text: String) {
        #expect(MIMEDate.string(from: Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func writtenDatesParseBackToTheSameSecond() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -2_000_000_000...8_000_000_000, using: &generator)
            let text = MIMEDate.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(MIMEDate.parse(text).map { Int64($0.timeIntervalSince1970) } == seconds, "\(text)")
        }
    }

    /// Dates near the usual form: each field is in it four times in five, and otherwise one of the ways out
    /// of it, so that the byte-level path meets every way out.
    static func nearlyCanonicalDates(count: Int) -> [String] {
        let fields: [(usual: [String], unusual: [String])] = [
            (["Tue, ", "Xyz, ", "tue, ", "Sat,  ", ""], ["Tue,", "Tuesday, ", "1, ", "Tue ,", "Tue,\t"]),
            (["1", "05", "31", "30", "29"], ["00", "123", "5,", ""]),
            ([" "], ["  ", "\t", ""]),
            (["Mar", "feb", "FEB", "Dec", "jUn"], ["Foo", "March", "Ma", "M1r"]),
            ([" "], ["  ", "\t", ""]),
            (["2024", "1900", "2100", "0001", "1970"], ["0000", "99", "20245", "202"]),
            ([" "], ["  ", "\t", ""]),
            (
                ["16:14:11", "23:59:59", "00:00:00", "23:59:60"],
                ["24:00:00", "16:14", "1:14:11", "16.14.11", "16:60:00"]
            ),
            ([" "], ["  ", "\t", ""]),
            (
                ["+0100", "-0000", "+1800", "-0930", "+1859", "+0000 (UTC)", "+0200 (CEST)"],
                [
                    "+1860", "+1900", "GMT", "+01:00", "+010", "+0100 (CET)", "+0100(CET)", "+0100 (C(E)T)",
                    "+0100 (CET", "+0100 (C\\)T)", "+0100 (CET) x", "+0100 (a) (b)", "+0100 ()", "+0100 \t",
                    "+0100 (Mitteleurop\u{E4}ische Zeit)",
                ]
            ),
        ]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<count).map { _ in
            fields.map { field in
                let options = next(5) == 0 ? field.unusual : field.usual
                return options[next(options.count)]
            }.joined()
        }
    }

    @Test func byteLevelPathAgreesWithTheGeneralParser() {
        var taken = 0
        for text in Self.nearlyCanonicalDates(count: 20_000) {
            guard let fast = MIMEDate.canonicalSeconds(text) else { continue }
            taken += 1
            #expect(fast == MIMEDate.generalSeconds(text), "\(text)")
        }
        // Enough dates must take the byte-level path to compare it.
        #expect(taken > 1000)
    }

    /// The forms the byte-level path takes beside the plain one (Postfix writes the first), and some it
    /// leaves to the general parser.
    @Test func byteLevelPathTakesPaddedDaysAndZoneComments() {
        #expect(MIMEDate.canonicalSeconds("Sat,  5 Dec 2026 19:57:28 +0000 (UTC)") == 1_796_500_648)
        #expect(MIMEDate.canonicalSeconds("5 Dec 2026 21:57:28\t+0200  (CEST) ") == 1_796_500_648)
        for text in ["Sat, 5 Dec 2026 19:57:28 +0000 (U(T)C)", "Sat, 5 Dec 2026 19:57:28 +0000 (UTC) x"] {
            #expect(MIMEDate.canonicalSeconds(text) == nil, "\(text)")
        }
    }
}

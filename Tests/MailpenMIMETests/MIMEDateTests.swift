import Foundation
import MailpenMIME
import Testing

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
}

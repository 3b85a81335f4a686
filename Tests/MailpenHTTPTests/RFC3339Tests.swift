import Foundation
import HTTPTypes
import HummingbirdTesting
import MailpenStore
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("RFC 3339 times")
struct RFC3339Tests {
    static let accepted: [(String, Double)] = [
        ("2026-11-29T10:00:00Z", 1_795_946_400),
        ("2026-11-29T10:00:00.5Z", 1_795_946_400.5),
        ("2026-11-29t10:00:00.123456z", 1_795_946_400.123456),
        ("2026-11-29 11:30:00+01:30", 1_795_946_400),
        ("2026-11-29T08:00:00-02:00", 1_795_946_400),
        ("1969-12-31T23:59:59.999Z", -0.001),
    ]

    @Test("parses RFC 3339 forms", arguments: accepted)
    func parses(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.date(from: text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test(arguments: [
        "", "2026-11-29", "2026-11-29T10:00Z", "2026-02-30T10:00:00Z", "2026-11-29T10:00:00", "2026-11-29T10:00:00.Z",
        "2026-11-29T25:00:00Z", "2026-11-29T10:00:00Zjunk",
    ])
    func rejects(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }

    @Test func writesMillisecondsThatReadBackExactly() throws {
        for milliseconds in [Int64(0), 1, 999, 1_795_946_400_428, -1, -1001] {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = RFC3339.string(from: date)
            #expect(text.count == 24 && text.hasSuffix("Z"))
            let back = try #require(RFC3339.date(from: text))
            #expect(Int64((back.timeIntervalSince1970 * 1000).rounded()) == milliseconds, "\(text)")
        }
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_795_946_400.428)) == "2026-11-29T10:00:00.428Z")
    }
}

import Foundation
import MailpenStore
import Testing

@testable import MailpenHTTP

@Suite("Summary JSON written by hand")
struct SummaryJSONTests {
    /// Every ASCII character (controls, quote, backslash, slash, DEL), and text past ASCII.
    static let awkwardText =
        String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        + "é 中文 \u{2028}\u{2029} 🙂 \u{FEFF} </script>"

    static let summaries: [MessageSummary] = [
        MessageSummary(
            id: "01JABCDEFGHJKMNPQRSTVWXYZ0", inbox: "default",
            receivedAt: Date(timeIntervalSince1970: 1_795_946_400.123),
            from: nil, to: [], cc: [], subject: "", snippet: "", size: 0, attachmentCount: 0, isRead: false, tags: []),
        MessageSummary(
            id: "01JABCDEFGHJKMNPQRSTVWXYZ1", inbox: "Team \"A\"", receivedAt: Date(timeIntervalSince1970: -0.5),
            from: MessageAddress(name: awkwardText, address: "a\\b@example.com"),
            to: [MessageAddress(name: nil, address: "bob@example.com"), MessageAddress(name: "Ça", address: "c@x")],
            cc: [MessageAddress(name: "", address: "")], subject: awkwardText, snippet: "line\r\nnext\ttab",
            size: Int.max, attachmentCount: 3, isRead: true, tags: ["urgent", awkwardText, ""]),
    ]

    @Test("matches the API encoder byte for byte", arguments: summaries)
    func matchesTheEncoder(summary: MessageSummary) throws {
        let encoded = String(decoding: try APIJSON.encoder.encode(SummaryResource(summary)), as: UTF8.self)
        #expect(SummaryJSON.string(summary) == encoded)
    }

    @Test func everyCharacterAloneMatchesTheEncoder() throws {
        for scalar in Self.awkwardText.unicodeScalars {
            let text = "x" + String(scalar) + "y"
            let written = JSONString.quoted(text)
            let encoded = String(decoding: try APIJSON.encoder.encode(text), as: UTF8.self)
            #expect(written == encoded, "U+\(String(scalar.value, radix: 16))")
        }
    }

    @Test func webhooksCarryTheHandWrittenSummary() throws {
        let summary = try #require(Self.summaries.last)
        let json = APIObjectJSON.summary(summary)
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(decoded["subject"] as? String == Self.awkwardText)
        #expect(json == SummaryJSON.string(summary))
    }
}

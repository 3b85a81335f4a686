import Foundation
import Testing

@testable import MailpenChecks

/// Broken and hostile input: nothing traps, and work stays linear in the input size.
@Suite("Robustness")
struct RobustnessTests {
    /// SplitMix64, so failures reproduce.
    private struct Generator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var value = self.state
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            return value ^ (value >> 31)
        }
    }

    private static let pieces = [
        "<", ">", "</", "/>", "<!--", "-->", "<!", "<?", "\"", "'", "=", " ", "\n", "\r\n", "&", "&amp;", "&#",
        "&#x1F600;",
        "<a href=", "<img src=", "<style>", "</style>", "<script>", "</a>", "<p style=\"", "{", "}", ";", ":", "(", ")",
        "@media", "@import", "url(", "/*", "*/", ".x", "#y", "[z]", "::before", ":hover", "!important", "display:flex",
        "http://", "https://bit.ly/", "www.", "mailto:", "data:image/png;base64,", "\u{0}", "é", "\u{FFFD}", "--", "\\",
        "<html>", "<body>", "<table cellpadding=0>", "srcset=\"a 1x, b 2x\"", "background=", "calc(", "var(--a)",
    ]

    private func randomHTML(_ generator: inout Generator, length: Int) -> String {
        var html = ""
        for _ in 0..<length {
            html += Self.pieces[Int(generator.next() % UInt64(Self.pieces.count))]
        }
        return html
    }

    @Test func randomMarkupThroughEveryCheck() throws {
        var generator = Generator(state: 0x5EED)
        for round in 0..<150 {
            let html = self.randomHTML(&generator, length: 20 + round * 3)
            let raw = TestSupport.alternative(text: html, html: html, headers: ["List-Unsubscribe: " + html.prefix(40)])
            let context = TestSupport.context(raw)
            _ = TestSupport.checks.builtinSpam(context)
            _ = try TestSupport.checks.html(context)
            _ = TestSupport.checks.links(context)
            _ = TestSupport.checks.lint(context)
        }
    }

    @Test func randomBytesAsAMessage() {
        var generator = Generator(state: 42)
        for _ in 0..<100 {
            let count = Int(generator.next() % 3000)
            let raw = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let context = TestSupport.context(raw)
            _ = TestSupport.checks.builtinSpam(context)
            _ = try? TestSupport.checks.html(context)
            _ = TestSupport.checks.links(context)
            _ = TestSupport.checks.lint(context)
        }
    }

    /// Inputs that make naive scanners quadratic (re-searching from each start) or recurse deeply.
    static let pathological: [(String, String)] = [
        ("open tags", String(repeating: "<a ", count: 70_000)),
        ("comment openers", String(repeating: "<!--", count: 50_000)),
        ("unclosed quotes", String(repeating: "<a href=\"", count: 25_000)),
        ("style openers", "<style>" + String(repeating: "<style>", count: 30_000)),
        ("nested blocks", "<style>" + String(repeating: "a{", count: 100_000) + "</style>"),
        ("nested at-rules", "<style>" + String(repeating: "@media x{", count: 20_000) + "</style>"),
        ("parentheses", "<style>a{b:" + String(repeating: "(", count: 200_000) + "}</style>"),
        ("comment in CSS", "<style>" + String(repeating: "/*", count: 100_000) + "</style>"),
        ("urls", "<p style=\"" + String(repeating: "background:url(", count: 15_000) + "\">"),
        ("anchors", String(repeating: "<a href=\"https://x.example.com/\">", count: 6_000)),
        ("text urls", String(repeating: "http://a.example.com/(((( ", count: 8_000)),
        ("entities", String(repeating: "&#99999999999", count: 20_000)),
    ]

    @Test(arguments: pathological.map(\.0))
    func pathologicalInputStaysFast(_ name: String) throws {
        let html = try #require(Self.pathological.first { $0.0 == name }?.1)
        let raw = TestSupport.alternative(text: html, html: html)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let context = TestSupport.context(raw)
            _ = TestSupport.checks.builtinSpam(context)
            _ = try TestSupport.checks.html(context)
            _ = TestSupport.checks.links(context)
            _ = TestSupport.checks.lint(context)
        }
        // ~200 KB in a debug build; quadratic behaviour would take minutes.
        #expect(elapsed < .seconds(10), "\(name): \(elapsed)")
    }
}

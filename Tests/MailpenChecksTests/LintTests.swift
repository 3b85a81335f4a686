import Foundation
import Testing

@testable import MailpenChecks

/// One lint rule with a message that triggers it and a close one that does not.
struct LintCase: Sendable, CustomTestStringConvertible {
    var id: String
    var failing: [UInt8]
    var failingEnvelope: CheckEnvelope? = LintCase.aligned
    var passing: [UInt8] = LintCase.clean
    var passingEnvelope: CheckEnvelope? = LintCase.aligned

    var testDescription: String { self.id }

    static let aligned = CheckEnvelope(mailFrom: "bounce@mail.example.com", bodyParameter: "8BITMIME", smtpUTF8: true)
    static let clean = TestSupport.alternative(
        text: "Your parcel is on its way.",
        html: "<p>Your parcel is on its way.</p>"
    )

    static func plain(
        _ headers: [String],
        without: [String] = [],
        body: String = "Your parcel is on its way."
    ) -> [UInt8] {
        TestSupport.raw(TestSupport.headers(headers, without: without), body: body)
    }

    static func html(_ html: String, headers: [String] = []) -> [UInt8] {
        self.plain(headers + ["Content-Type: text/html; charset=utf-8"], body: html)
    }

    static func multipart(_ body: String, headers: [String] = []) -> [UInt8] {
        self.plain(headers + ["Content-Type: multipart/mixed; boundary=\"b\""], body: body)
    }
}

@Suite("Lint")
struct LintTests {
    static let longHTML = "<p>" + String(repeating: String(repeating: "x", count: 79) + "\n", count: 1320) + "</p>"
    static let nested: String = {
        var body = "innermost\n"
        for depth in (0..<70).reversed() {
            body = "--d\(depth)\nContent-Type: multipart/mixed; boundary=\"d\(depth + 1)\"\n\n\(body)--d\(depth)--\n"
        }
        return body
    }()

    static let cases: [LintCase] = [
        LintCase(id: "missing-from", failing: LintCase.plain([], without: ["From"])),
        LintCase(id: "missing-date", failing: LintCase.plain([], without: ["Date"])),
        LintCase(id: "invalid-date", failing: LintCase.plain(["Date: the day after tomorrow"])),
        LintCase(id: "missing-message-id", failing: LintCase.plain([], without: ["Message-ID"])),
        LintCase(id: "invalid-message-id", failing: LintCase.plain(["Message-ID: <no-domain-here>"])),
        LintCase(id: "missing-subject", failing: LintCase.plain([], without: ["Subject"])),
        LintCase(
            id: "missing-mime-version",
            failing: LintCase.plain(["Content-Type: text/plain"], without: ["MIME-Version"]),
            passing: LintCase.plain(["Content-Type: text/plain"])
        ),
        LintCase(id: "missing-text-alternative", failing: LintCase.html("<p>Your parcel is on its way.</p>")),
        LintCase(
            id: "html-clipped-by-gmail",
            failing: TestSupport.alternative(text: "x", html: LintTests.longHTML),
            passing: TestSupport.alternative(text: "x", html: String(LintTests.longHTML.prefix(100_000)))
        ),
        LintCase(
            id: "missing-list-unsubscribe",
            failing: LintCase.plain(["Precedence: bulk"]),
            passing: LintCase.plain([
                "Precedence: bulk", "List-Unsubscribe: <https://example.com/u/1>",
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            ])
        ),
        LintCase(
            id: "missing-list-unsubscribe-when-the-text-says-unsubscribe",
            failing: LintCase.plain([], body: "News.\nUnsubscribe: https://example.com/u/1")
        ),
        LintCase(
            id: "missing-one-click-unsubscribe",
            failing: LintCase.plain(["List-Unsubscribe: <https://example.com/u/1>"]),
            passing: LintCase.plain([
                "List-Unsubscribe: <mailto:u@example.com>, <https://example.com/u/1>",
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            ])
        ),
        LintCase(
            id: "missing-one-click-unsubscribe-mailto-only",
            failing: LintCase.plain([
                "List-Unsubscribe: <mailto:u@example.com>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            ])
        ),
        LintCase(
            id: "from-envelope-mismatch",
            failing: LintCase.clean,
            failingEnvelope: CheckEnvelope(mailFrom: "bounce@esp.example.net"),
            passingEnvelope: CheckEnvelope(mailFrom: "")
        ),
        LintCase(
            id: "eight-bit-without-8bitmime",
            failing: LintCase.plain(
                ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"],
                body: "Grüße"
            ),
            failingEnvelope: CheckEnvelope(mailFrom: "bounce@mail.example.com"),
            passing: LintCase.plain(
                ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"],
                body: "Grüße"
            )
        ),
        LintCase(
            id: "eight-bit-header-without-smtputf8",
            failing: LintCase.plain(["Subject: Grüße"]),
            failingEnvelope: CheckEnvelope(mailFrom: "bounce@mail.example.com", bodyParameter: "8BITMIME"),
            passing: LintCase.plain(["Subject: Grüße"])
        ),
        LintCase(
            id: "eight-bit-address-without-smtputf8",
            failing: LintCase.clean,
            failingEnvelope: CheckEnvelope(
                mailFrom: "bounce@mail.example.com", recipients: ["bob@example.org", "zoë@example.org"]),
            passingEnvelope: CheckEnvelope(
                mailFrom: "bounce@mail.example.com", smtpUTF8: true, recipients: ["bob@example.org", "zoë@example.org"])
        ),
        LintCase(id: "line-too-long", failing: LintCase.plain([], body: String(repeating: "y", count: 999))),
        LintCase(id: "bare-lf", failing: Array("From: a@example.com\nTo: b@example.org\r\n\r\nbody\r\n".utf8)),
        LintCase(
            id: "mime-missing-final-boundary",
            failing: LintCase.multipart("--b\nContent-Type: text/plain\n\nHello\n"),
            passing: LintCase.multipart("--b\nContent-Type: text/plain\n\nHello\n--b--\n")
        ),
        LintCase(
            id: "mime-boundary-not-found",
            failing: LintCase.multipart("--other\nContent-Type: text/plain\n\nHello\n--other--\n")
        ),
        LintCase(
            id: "mime-nesting-too-deep",
            failing: LintCase.plain(["Content-Type: multipart/mixed; boundary=\"d0\""], body: LintTests.nested)
        ),
        LintCase(id: "unknown-charset", failing: LintCase.plain(["Content-Type: text/plain; charset=x-klingon"])),
        LintCase(
            id: "invalid-charset-data",
            failing: LintCase.plain(
                ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
                body: "caf=E9 cr=E8me"
            ),
            passing: LintCase.plain(
                ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
                body: "caf=C3=A9"
            )
        ),
        LintCase(id: "invalid-transfer-encoding", failing: LintCase.plain(["Content-Transfer-Encoding: x-rot13"])),
        LintCase(
            id: "invalid-transfer-encoding-8bit-in-7bit",
            failing: LintCase.plain(
                ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"],
                body: "Grüße"
            )
        ),
        LintCase(
            id: "malformed-header",
            failing: Array("From: a@example.com\r\nthis line is not a header\r\nTo: b@example.org\r\n\r\nbody\r\n".utf8)
        ),
    ]

    /// The rule id a case is about (cases may add a suffix to say which variant they test).
    private static func ruleID(_ lintCase: LintCase) -> String {
        for rule in [
            "missing-list-unsubscribe", "missing-one-click-unsubscribe", "invalid-transfer-encoding",
        ] where lintCase.id.hasPrefix(rule) {
            return rule
        }
        return lintCase.id
    }

    private func ids(_ raw: [UInt8], _ envelope: CheckEnvelope?) -> [String] {
        TestSupport.checks.lint(TestSupport.context(raw, envelope: envelope)).findings.map(\.id)
    }

    @Test(arguments: cases)
    func ruleTriggersAndStaysQuiet(_ lintCase: LintCase) {
        let id = Self.ruleID(lintCase)
        #expect(self.ids(lintCase.failing, lintCase.failingEnvelope).contains(id))
        #expect(
            !self.ids(lintCase.passing, lintCase.passingEnvelope).contains(id),
            "\(self.ids(lintCase.passing, lintCase.passingEnvelope))"
        )
    }

    @Test func everyRuleIsCovered() {
        let covered = Set(Self.cases.map(Self.ruleID))
        let all: Set<String> = [
            "missing-from", "missing-date", "invalid-date", "missing-message-id", "invalid-message-id",
            "missing-subject",
            "missing-mime-version", "missing-text-alternative", "html-clipped-by-gmail", "missing-list-unsubscribe",
            "missing-one-click-unsubscribe", "from-envelope-mismatch", "eight-bit-without-8bitmime",
            "eight-bit-header-without-smtputf8", "eight-bit-address-without-smtputf8", "line-too-long", "bare-lf",
            "mime-missing-final-boundary",
            "mime-boundary-not-found", "mime-nesting-too-deep", "unknown-charset", "invalid-charset-data",
            "invalid-transfer-encoding", "malformed-header",
        ]
        #expect(covered == all)
    }

    @Test func cleanMessagesHaveNoFindings() throws {
        #expect(self.ids(LintCase.clean, LintCase.aligned) == [])
        let newsletter = try TestSupport.fixtureBytes("messages/newsletter-100k.eml")
        #expect(self.ids(newsletter, LintCase.aligned) == [])
        let clean = try TestSupport.fixtureBytes("messages/clean-newsletter.eml")
        #expect(self.ids(clean, CheckEnvelope(mailFrom: "bounce@mail.example.com")) == [])
    }

    @Test func envelopeRulesNeedAnEnvelope() {
        let raw = LintCase.plain(
            ["Subject: Grüße", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"],
            body: "Grüße"
        )
        #expect(self.ids(raw, nil) == [])
    }

    @Test func brokenFixtureReportsLocations() throws {
        let report = TestSupport.checks.lint(
            TestSupport.context(
                try TestSupport.fixtureBytes("messages/broken-structure.eml"),
                envelope: LintCase.aligned
            )
        )
        let byID = Dictionary(report.findings.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byID["unknown-charset"]?.partID == "1" && byID["unknown-charset"]?.location == "part 1 (text/plain)")
        #expect(byID["mime-missing-final-boundary"]?.partID == "0")
        #expect(byID["bare-lf"]?.line == 16)
        #expect(byID["line-too-long"]?.line == 17)
        #expect(byID["missing-text-alternative"] == nil)
        #expect(report.errors == report.findings.filter { $0.severity == .error }.count)
        // Most severe first.
        let severities = report.findings.map(\.severity)
        #expect(severities == severities.sorted())
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("\"partId\":\"1\"") && json.contains("\"severity\":\"error\""))
    }
}

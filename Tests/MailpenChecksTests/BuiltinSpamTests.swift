import Foundation
import Testing

@testable import MailpenChecks

/// A message built to make one built-in rule fire.
struct SpamCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var raw: [UInt8]
    var envelope: CheckEnvelope? = CheckEnvelope(mailFrom: "bounce@mail.example.com", bodyParameter: "8BITMIME")

    var testDescription: String { self.rule }

    static func headers(
        _ rule: String,
        _ extra: [String],
        without: [String] = [],
        body: String = "Your parcel is on its way."
    ) -> SpamCase {
        SpamCase(rule: rule, raw: TestSupport.raw(TestSupport.headers(extra, without: without), body: body))
    }

    static func date(_ rule: String, _ date: String) -> SpamCase {
        self.headers(rule, ["Date: " + date])
    }

    static func text(_ rule: String, _ body: String) -> SpamCase {
        self.headers(rule, ["Content-Type: text/plain; charset=utf-8"], body: body)
    }

    static func html(_ rule: String, _ html: String) -> SpamCase {
        self.headers(rule, ["Content-Type: text/html; charset=utf-8"], body: html)
    }

    static func envelope(_ rule: String, _ mailFrom: String, _ extra: [String] = []) -> SpamCase {
        var spamCase = self.headers(rule, extra)
        spamCase.envelope = CheckEnvelope(mailFrom: mailFrom)
        return spamCase
    }

    /// An HTML body with an image and `bytes` bytes of words.
    static func imageOnly(_ rule: String, bytes: Int) -> SpamCase {
        let words = String(repeating: "word ", count: bytes / 4)
        return self.html(rule, "<html><body><img src=\"https://img.example.com/a.png\"><p>\(words)</p></body></html>")
    }

    /// A linked image with about `length` characters of text.
    static func shortLinkImage(_ rule: String, length: Int) -> SpamCase {
        let words = String(repeating: "word ", count: length / 5)
        return self.html(
            rule,
            "<html><body><a href=\"https://shop.example.com/\"><img src=\"https://img.example.com/a.png\"></a><p>\(words)</p></body></html>"
        )
    }
}

@Suite("Built-in spam rules")
struct BuiltinSpamTests {
    static let cases: [SpamCase] = [
        .headers("MISSING_DATE", [], without: ["Date"]),
        .headers("MISSING_MID", [], without: ["Message-ID"]),
        .headers("MISSING_SUBJECT", [], without: ["Subject"]),
        .headers("MISSING_FROM", [], without: ["From"]),
        .headers("MISSING_HEADERS", [], without: ["To"]),
        .headers("INVALID_DATE", ["Date: sometime next week"]),
        .headers("INVALID_MSGID", ["Message-ID: order-1@mail.example.com"]),
        .headers("MSGID_NOFQDN1", ["Message-ID: <order-1-localhost>"]),
        .headers("SUBJ_ALL_CAPS", ["Subject: YOUR ORDER HAS SHIPPED"]),
        .headers("SUBJ_ILLEGAL_CHARS", ["Subject: Grüße aus Köln für Sie"]),
        .headers("PLING_QUERY", ["Subject: Ready? Your order shipped!"]),
        .headers("LOCALPART_IN_SUBJECT", ["Subject: alice, your order has shipped"]),
        .headers("FROM_EXCESS_BASE64", ["From: =?utf-8?B?RXhhbXBsZSBTaG9w?= <news@example.com>"]),
        .headers("FROM_LOCAL_HEX", ["From: Shop <a1b2c3d4e5f6a@example.com>"]),
        .headers("FROM_LOCAL_DIGITS", ["From: Shop <12345678901@example.com>"]),
        .headers("FREEMAIL_FROM", ["From: Alice <alice.smith@gmail.com>"]),
        .headers("FREEMAIL_REPLYTO", ["From: Alice <alice.smith@gmail.com>", "Reply-To: payments@example.net"]),
        .headers("FREEMAIL_FORGED_REPLYTO", ["Reply-To: claims@yahoo.co.uk"]),
        .headers("FREEMAIL_REPLYTO_END_DIGIT", ["Reply-To: claims7@hotmail.com"]),
        .envelope("FREEMAIL_ENVFROM_END_DIGIT", "sender9@gmail.com"),
        .envelope("HEADER_FROM_DIFFERENT_DOMAINS", "bounce@esp.example.net"),
        .envelope("FREEMAIL_FORGED_FROMDOMAIN", "bounce@esp.example.net", ["From: Alice <alice.smith@gmail.com>"]),
        .headers("MIME_HEADER_CTYPE_ONLY", ["Content-Type: text/plain"], without: ["MIME-Version"]),
        .date("DATE_IN_FUTURE_03_06", "Tue, 04 Mar 2025 14:00:00 +0000"),
        .date("DATE_IN_FUTURE_06_12", "Tue, 04 Mar 2025 10:00:00 -0800"),
        .date("DATE_IN_FUTURE_12_24", "Wed, 05 Mar 2025 02:00:00 +0000"),
        .date("DATE_IN_FUTURE_24_48", "Wed, 05 Mar 2025 20:00:00 +0000"),
        .date("DATE_IN_FUTURE_48_96", "Fri, 07 Mar 2025 10:00:00 +0000"),
        .date("DATE_IN_PAST_03_06", "Tue, 04 Mar 2025 06:00:00 +0000"),
        .date("DATE_IN_PAST_06_12", "Tue, 04 Mar 2025 10:00:00 +0800"),
        .date("DATE_IN_PAST_12_24", "Mon, 03 Mar 2025 18:00:00 +0000"),
        .date("DATE_IN_PAST_24_48", "Mon, 03 Mar 2025 00:00:00 +0000"),
        .date("DATE_IN_PAST_96_XX", "Thu, 27 Feb 2025 10:00:00 +0000"),
        SpamCase(rule: "GTUBE", raw: (try? TestSupport.fixtureBytes("messages/gtube.eml")) ?? []),
        .headers(
            "EMPTY_MESSAGE",
            ["Content-Type: application/pdf", "Content-Transfer-Encoding: base64"],
            body: "JVBERi0xLjQK"
        ),
        .html("MIME_HTML_ONLY", "<html><body><p>Your parcel is on its way.</p></body></html>"),
        .headers(
            "MIME_HTML_ONLY_MULTI",
            ["Content-Type: multipart/mixed; boundary=\"m\""],
            body:
                "--m\nContent-Type: text/html\n\n<html><p>Hi</p></html>\n--m\nContent-Type: application/pdf\n\nxx\n--m--\n"
        ),
        SpamCase(
            rule: "MIME_HTML_MOSTLY",
            raw: TestSupport.alternative(
                text: "Hi",
                html: "<html><p>" + String(repeating: "Your parcel is on its way today. ", count: 6) + "</p></html>"
            )
        ),
        SpamCase(
            rule: "MPART_ALT_DIFF",
            raw: TestSupport.alternative(
                text: "Completely unrelated words appear here",
                html: "<html><p>Cheap watches pills casino lottery</p></html>"
            )
        ),
        .headers(
            "MIME_QP_LONG_LINE",
            ["Content-Type: text/plain", "Content-Transfer-Encoding: quoted-printable"],
            body: String(repeating: "a", count: 80)
        ),
        .headers(
            "MIME_BASE64_TEXT",
            ["Content-Type: text/plain", "Content-Transfer-Encoding: base64"],
            body: "WW91ciBwYXJjZWwgaXMgb24gaXRzIHdheS4="
        ),
        .headers(
            "BASE64_LENGTH_79_INF",
            ["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64"],
            body: String(repeating: "QUFB", count: 20)
        ),
        .text("UPPERCASE_50_75", String(repeating: "ABCDEFG abc ", count: 12)),
        .text("UPPERCASE_75_100", String(repeating: "YOUR PARCEL IS HERE ", count: 8)),
        .text("DEAR_FRIEND", "Dear Friend,\nI have a business proposal."),
        .text("DEAR_SOMETHING", "Dear Sir,\nI have a business proposal."),
        .text("LOTS_OF_MONEY", "You will receive 5 million US dollars."),
        .text("UNCLAIMED_MONEY", "We hold your unclaimed funds."),
        .html("HTML_MESSAGE", "<html><p>Hi</p></html>"),
        .html("HTML_MIME_NO_HTML_TAG", "<p>Hi</p>"),
        .html("HTML_IFRAME_SRC", "<html><iframe src=\"https://x.example.com/\"></iframe></html>"),
        .html("HTML_EMBEDS", "<html><object data=\"x.swf\"></object></html>"),
        .html("HTML_TAG_BALANCE_BODY", "<html><body><body><p>Hi</p></body></html>"),
        .html("HTML_COMMENT_SAVED_URL", "<!-- saved from url=(0022)http://example.com/ --><html><p>Hi</p></html>"),
        .html("HTML_FONT_SIZE_HUGE", "<html><font size=\"+4\">BIG</font></html>"),
        .imageOnly("HTML_IMAGE_ONLY_04", bytes: 100),
        .imageOnly("HTML_IMAGE_ONLY_08", bytes: 500),
        .imageOnly("HTML_IMAGE_ONLY_12", bytes: 900),
        .imageOnly("HTML_IMAGE_ONLY_16", bytes: 1300),
        .imageOnly("HTML_IMAGE_ONLY_20", bytes: 1700),
        .imageOnly("HTML_IMAGE_ONLY_24", bytes: 2100),
        .imageOnly("HTML_IMAGE_ONLY_28", bytes: 2500),
        .imageOnly("HTML_IMAGE_ONLY_32", bytes: 2900),
        .shortLinkImage("HTML_SHORT_LINK_IMG_1", length: 100),
        .shortLinkImage("HTML_SHORT_LINK_IMG_2", length: 1200),
        .shortLinkImage("HTML_SHORT_LINK_IMG_3", length: 1700),
        .html("NUMERIC_HTTP_ADDR", "<html><a href=\"http://192.0.2.10/login\">log in</a></html>"),
        .html("WEIRD_PORT", "<html><a href=\"http://shop.example.com:8081/\">shop</a></html>"),
        .html("URI_HEX", "<html><a href=\"http://a1b2c3d4e5.example.com/\">shop</a></html>"),
        .text("URL_SHORTENER", "Track it: https://bit.ly/3xYz"),
        .html(
            "SHORTENER_SHORT_IMG",
            "<html><a href=\"https://bit.ly/3xYz\"><img src=\"https://img.example.com/a.png\"></a></html>"
        ),
        .html("HTTPS_HTTP_MISMATCH", "<html><a href=\"http://shop.example.com/\">https://shop.example.com/</a></html>"),
        .html("URI_TEXT_MISMATCH", "<html><a href=\"https://login.example.net/\">www.mybank.com/login</a></html>"),
    ]

    private func report(_ spamCase: SpamCase) -> SpamReport {
        TestSupport.checks.builtinSpam(TestSupport.context(spamCase.raw, envelope: spamCase.envelope))
    }

    @Test(arguments: cases)
    func ruleFires(_ spamCase: SpamCase) throws {
        let report = self.report(spamCase)
        let rule = try #require(report.rules.first { $0.name == spamCase.rule }, "fired: \(report.rules.map(\.name))")
        let definition = try #require(BuiltinSpamRules.all.first { $0.name == spamCase.rule })
        #expect(rule.score == definition.score && rule.description == definition.description)
    }

    @Test func everyRuleHasATriggeringCase() {
        let names = BuiltinSpamRules.all.map(\.name)
        #expect(names.count >= 30)
        #expect(Set(names).count == names.count, "rule names are unique")
        #expect(Set(Self.cases.map(\.rule)) == Set(names))
    }

    @Test func cleanMessagesFireNothingButHTMLMessage() throws {
        for raw in [
            TestSupport.raw(TestSupport.headers(), body: "Your parcel is on its way."),
            try TestSupport.fixtureBytes("messages/clean-newsletter.eml"),
            try TestSupport.fixtureBytes("messages/newsletter-100k.eml"),
        ] {
            let report = TestSupport.checks.builtinSpam(TestSupport.context(raw))
            #expect(report.rules.map(\.name).filter { $0 != "HTML_MESSAGE" } == [])
            #expect(!report.isSpam && report.threshold == 5 && report.engine == "builtin")
        }
    }

    @Test func gtubeAndObviousSpamAreSpam() throws {
        let gtube = TestSupport.checks.builtinSpam(
            TestSupport.context(try TestSupport.fixtureBytes("messages/gtube.eml"))
        )
        #expect(gtube.isSpam && gtube.score >= 1000 && gtube.rules.first?.name == "GTUBE")
        let spammy = TestSupport.checks.builtinSpam(
            TestSupport.context(
                try TestSupport.fixtureBytes("messages/spammy.eml"),
                envelope: CheckEnvelope(mailFrom: "x9@gmail.com")
            )
        )
        #expect(spammy.isSpam, "\(spammy.score): \(spammy.rules.map(\.name))")
        // The score is the sum of the rules, highest first.
        #expect(abs(spammy.score - spammy.rules.reduce(0) { $0 + $1.score }) < 0.001)
        #expect(spammy.rules.map(\.score) == spammy.rules.map(\.score).sorted(by: >))
    }

    @Test func reportEncodesWithCamelCaseKeys() throws {
        let report = TestSupport.checks.builtinSpam(
            TestSupport.context(try TestSupport.fixtureBytes("messages/gtube.eml"))
        )
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        for key in [
            "\"score\"", "\"threshold\"", "\"isSpam\"", "\"engine\"", "\"rules\"", "\"name\"", "\"description\"",
        ] {
            #expect(json.contains(key))
        }
    }
}

import MailpenMIME
import Testing

@Suite("Charsets")
struct CharsetTests {
    /// Every charset Mailpen promises to decode, with a sample in that charset.
    @Test(
        "decodes each supported charset in a text part",
        arguments: [
            ("utf-8", [0x47, 0x72, 0xC3, 0xBC, 0xC3, 0x9F, 0x65, 0x20, 0xF0, 0x9F, 0x98, 0x80], "Grüße 😀"),
            ("us-ascii", [0x70, 0x6C, 0x61, 0x69, 0x6E], "plain"),
            ("iso-8859-1", [0x63, 0x61, 0x66, 0xE9], "café"),
            ("iso-8859-2", [0x5A, 0x61, 0xBF, 0xF3, 0xB3, 0xE6], "Zażółć"),
            ("iso-8859-3", [0xA1, 0x20, 0xF5], "Ħ ġ"),
            ("iso-8859-4", [0xC0, 0x20, 0xF3], "Ā ķ"),
            ("iso-8859-5", [0xBF, 0xE0, 0xD8, 0xD2, 0xD5, 0xE2], "Привет"),
            ("iso-8859-6", [0xE5, 0xD1, 0xCD, 0xC8, 0xC7], "مرحبا"),
            ("iso-8859-7", [0xCA, 0xE1, 0xEB, 0xE7, 0xEC, 0xDD, 0xF1, 0xE1], "Καλημέρα"),
            ("iso-8859-8", [0xF9, 0xEC, 0xE5, 0xED], "שלום"),
            ("iso-8859-9", [0xDE, 0xF0, 0xFD], "Şğı"),
            ("iso-8859-10", [0xAF, 0x20, 0xBB], "Ŋ ŧ"),
            ("iso-8859-13", [0xD8, 0x20, 0xF8], "Ų ų"),
            ("iso-8859-14", [0xA1, 0x20, 0xB8], "Ḃ ẁ"),
            ("iso-8859-15", [0xA4, 0x20, 0xBC], "€ Œ"),
            ("windows-1250", [0x50, 0xF8, 0xED, 0x6C, 0x69, 0x9A], "Příliš"),
            ("windows-1251", [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2], "Привет"),
            ("windows-1252", [0x93, 0x68, 0x69, 0x94, 0x20, 0x96, 0x20, 0x80], "“hi” – €"),
            ("windows-1253", [0xCA, 0xE1, 0xEB, 0xE7, 0xEC, 0xDD, 0xF1, 0xE1], "Καλημέρα"),
            ("windows-1254", [0xDE, 0xF0, 0xFD], "Şğı"),
            ("windows-1255", [0xF9, 0xEC, 0xE5, 0xED], "שלום"),
            ("windows-1256", [0xE3, 0xD1, 0xCD, 0xC8, 0xC7], "مرحبا"),
            ("windows-1257", [0xD8, 0x20, 0xF8], "Ų ų"),
            ("windows-1258", [0x56, 0x69, 0xEA, 0xF2, 0x74], "Việt"),
            ("koi8-r", [0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4], "Привет"),
            ("koi8-u", [0xBD, 0xC1, 0xCE, 0xCF, 0xCB], "Ґанок"),
            ("gb2312", [0xD6, 0xD0, 0xCE, 0xC4], "中文"),
            ("gbk", [0xFD, 0x93], "龘"),
            ("gb18030", [0x94, 0x39, 0xFC, 0x36, 0xD6, 0xD0], "😀中"),
            ("big5", [0xC1, 0x63, 0xC5, 0xE9], "繁體"),
            ("shift_jis", [0x93, 0xFA, 0x96, 0x7B, 0x8C, 0xEA], "日本語"),
            ("euc-jp", [0xC6, 0xFC, 0xCB, 0xDC, 0xB8, 0xEC], "日本語"),
            ("iso-2022-jp", [0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C, 0x38, 0x6C, 0x1B, 0x28, 0x42], "日本語"),
            ("euc-kr", [0xC7, 0xD1, 0xB1, 0xB9, 0xBE, 0xEE], "한국어"),
            ("ks_c_5601-1987", [0xC7, 0xD1, 0xB1, 0xB9, 0xBE, 0xEE], "한국어"),
            ("UTF8", [0xC3, 0xA9], "é"),
            ("\"ISO-8859-1\"", [0xE9], "é"),
            ("latin1", [0xE9], "é"),
            ("cp1251", [0xCF], "П"),
            ("x-sjis", [0x93, 0xFA], "日"),
        ] as [(String, [UInt8], String)]
    )
    func decodes(charset: String, bytes: [UInt8], expected: String) throws {
        let head = Array("Content-Type: text/plain; charset=\(charset)\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".utf8)
        let mail = MIMEMessage(head + bytes)
        let result = try #require(mail.decodedTextWithProblems(of: mail.root))
        #expect(result.text == expected)
        #expect(result.problems.isEmpty)
        #expect(!mail.root.problems.contains { if case .unknownCharset = $0 { true } else { false } })
    }

    @Test(
        "falls back instead of failing",
        arguments: [
            // Declared UTF-8, really Latin-1.
            ("utf-8", [0x63, 0x61, 0x66, 0xE9], "café", MIMEProblem.invalidCharsetData("utf-8")),
            // Declared US-ASCII, really UTF-8.
            ("us-ascii", [0x63, 0x61, 0x66, 0xC3, 0xA9], "café", .invalidCharsetData("us-ascii")),
            // Declared Latin-1, really UTF-8.
            ("iso-8859-1", [0x63, 0x61, 0x66, 0xC3, 0xA9], "café", .invalidCharsetData("iso-8859-1")),
            // Unknown label.
            ("x-klingon", [0x63, 0x61, 0x66, 0xC3, 0xA9], "café", .unknownCharset("x-klingon")),
            ("x-klingon", [0x63, 0x61, 0x66, 0xE9], "café", .unknownCharset("x-klingon")),
            // Invalid Shift_JIS lead byte at the end: whole part falls back.
            ("shift_jis", [0x41, 0x93], "A\u{201C}", .invalidCharsetData("shift_jis")),
            // Truncated UTF-8.
            ("utf-8", [0x41, 0xE2, 0x82], "Aâ‚", .invalidCharsetData("utf-8")),
            // UTF-8 but for one stray byte: the rest stays UTF-8.
            ("utf-8", Array("Grüße".utf8) + [0x20, 0x80], "Grüße €", .invalidCharsetData("utf-8")),
            ("x-klingon", Array("Zoë".utf8) + [0xE9], "Zoëé", .unknownCharset("x-klingon")),
        ] as [(String, [UInt8], String, MIMEProblem)]
    )
    func fallback(charset: String, bytes: [UInt8], expected: String, problem: MIMEProblem) throws {
        let head = Array("Content-Type: text/plain; charset=\(charset)\r\n\r\n".utf8)
        let mail = MIMEMessage(head + bytes)
        let result = try #require(mail.decodedTextWithProblems(of: mail.root))
        #expect(result.text == expected)
        #expect(result.problems == [problem])
    }

    @Test("parse-time charset problems")
    func parseTime() {
        #expect(
            message("Content-Type: text/plain; charset=x-klingon", "", "hi").root.problems == [
                .unknownCharset("x-klingon")
            ])
        #expect(
            MIMEMessage(
                Array("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".utf8) + [
                    0xE9
                ]
            )
            .root.problems == [.invalidCharsetData("utf-8")]
        )
        #expect(
            MIMEMessage(Array("Content-Type: text/plain\r\n\r\n".utf8) + [0xC3, 0xA9]).root.problems
                == [.invalidTransferEncoding("7bit"), .invalidCharsetData("us-ascii")]
        )
        // Charsets of non-text parts are not checked.
        #expect(message("Content-Type: application/json; charset=x-klingon", "", "{}").root.problems.isEmpty)
    }

    @Test("non-text parts have no decoded text")
    func nonText() {
        let mail = message("Content-Type: image/png", "", "x")
        #expect(mail.decodedText(of: mail.root) == nil)
    }

    @Test("line endings become LF")
    func newlines() {
        let mail = message("Content-Type: text/plain", "", "a", "b\rc\n")
        #expect(mail.textBody == "a\nb\nc\n")
    }
}

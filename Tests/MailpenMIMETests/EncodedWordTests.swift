import MailpenMIME
import Testing

@Suite("RFC 2047 encoded words")
struct EncodedWordTests {
    @Test(
        "decodes",
        arguments: [
            ("=?utf-8?q?H=C3=A9llo?=", "Héllo"),
            ("=?UTF-8?B?SMOpbGxv?=", "Héllo"),
            ("=?iso-8859-1?q?caf=E9?=", "café"),
            ("=?ISO-8859-1?Q?a_b?=", "a b"),
            // White space between adjacent encoded words is dropped, also across folding.
            ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),
            ("=?utf-8?q?a?=\t  =?utf-8?q?b?=", "ab"),
            // … but kept between an encoded word and plain text.
            ("Re: =?utf-8?q?caf=C3=A9?= now", "Re: café now"),
            ("=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"),
            // Lower-case hex, missing base64 padding.
            ("=?utf-8?q?caf=c3=a9?=", "café"),
            ("=?utf-8?B?w6k?=", "é"),
            // RFC 2231 language suffix on the charset.
            ("=?utf-8*en?q?hello?=", "hello"),
            // Glued to other text (seen in the wild).
            ("x=?utf-8?q?y?=z", "xyz"),
            // A multi-byte character split across two words survives.
            ("=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "€"),
            // Other charsets.
            ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
            ("=?gb2312?B?1tDOxA==?=", "中文"),
            ("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語"),
            ("=?windows-1252?q?=93hi=94?=", "“hi”"),
            ("=?big5?B?wWPF6Q==?=", "繁體"),
            ("=?euc-kr?B?x9Gxub7u?=", "한국어"),
            ("=?shift_jis?B?k/qWe4zq?=", "日本語"),
            // Q with a broken escape keeps the "=".
            ("=?utf-8?q?a=zz?=", "a=zz"),
            // Unknown charset: UTF-8, then Windows-1252 fallback.
            ("=?x-unknown?q?caf=C3=A9?=", "café"),
            ("=?x-unknown?q?caf=E9?=", "café"),
            // Emoji.
            ("=?UTF-8?B?8J+Tpg==?=", "📦"),
        ]
    )
    func decodes(input: String, expected: String) {
        #expect(EncodedWord.decode(input) == expected)
    }

    @Test(
        "leaves malformed words as written",
        arguments: [
            "=?utf-8?x?abc?=",  // unknown encoding
            "=?utf-8?q?abc",  // unterminated
            "=??q?abc?=",  // empty charset
            "=?utf-8?qabc?=",  // missing "?"
            "plain text = ? no words",
            "=?",
            "a =?utf 8?q?x?= b",  // white space in the charset
        ]
    )
    func malformed(input: String) {
        #expect(EncodedWord.decode(input) == input)
    }

    @Test("stays linear on many unterminated openers")
    func linear() {
        let input = String(repeating: "=?utf-8?q?x ", count: 50_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(EncodedWord.decode(input) == input)
        }
        #expect(elapsed < .seconds(2))
    }
}

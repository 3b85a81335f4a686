import MailpenMIME

/// Rules over the MIME structure, the transfer encodings and the visible text.
extension BuiltinSpamRules {
    /// SpamAssassin's GTUBE test string.
    static let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

    static let bodyRules: [BuiltinSpamRule] = [
        BuiltinSpamRule("GTUBE", 1000, "Generic Test for Unsolicited Bulk Email") { input in
            Bytes.contains(input.textBody ?? "", exactly: Self.gtube)
                || Bytes.contains(input.htmlBody ?? "", exactly: Self.gtube)
        },
        BuiltinSpamRule("EMPTY_MESSAGE", 2.344, "Message appears to have no textual parts") { input in
            input.textParts.isEmpty
        },
        BuiltinSpamRule("MIME_HTML_ONLY", 0.1, "Message only has text/html MIME parts") { $0.isHTMLOnly },
        BuiltinSpamRule("MIME_HTML_ONLY_MULTI", 0.001, "Multipart message only has text/html MIME parts") { input in
            input.isHTMLOnly && input.message.root.isMultipart
        },
        BuiltinSpamRule("MIME_HTML_MOSTLY", 0.1, "Multipart message mostly text/html MIME") { input in
            guard input.textBody != nil, input.htmlBody != nil else {
                return false
            }
            let textWords = input.textWordHashes.count
            let htmlWords = input.htmlWordHashes.count
            return htmlWords >= 20 && textWords * 10 < htmlWords
        },
        BuiltinSpamRule("MPART_ALT_DIFF", 0.724, "HTML and text parts are different") { input in
            guard input.textBody != nil, input.htmlBody != nil else {
                return false
            }
            let htmlWords = Set(input.htmlWordHashes)
            guard htmlWords.count >= 5 else {
                return false
            }
            let textWords = Set(input.textWordHashes)
            let missing = htmlWords.reduce(0) { $0 + (textWords.contains($1) ? 0 : 1) }
            return Double(missing) >= 0.99 * Double(htmlWords.count)
        },
        BuiltinSpamRule("MIME_QP_LONG_LINE", 0.001, "Quoted-printable line longer than 76 chars") { input in
            input.textParts.contains { part in
                part.transferEncoding == "quoted-printable"
                    && input.rawBodyLines(of: part).contains { Self.length($0) > 76 }
            }
        },
        BuiltinSpamRule("MIME_BASE64_TEXT", 0.001, "Message text disguised using base64 encoding") { input in
            input.textParts.contains { part in
                part.transferEncoding == "base64" && input.message.decodedBody(of: part).allSatisfy { $0 < 0x80 }
            }
        },
        BuiltinSpamRule("BASE64_LENGTH_79_INF", 2.019, "base64 encoded email part uses lines of 79 characters or more")
        {
            input in
            input.message.allParts.contains { part in
                part.children.isEmpty && part.transferEncoding == "base64"
                    && input.rawBodyLines(of: part).contains { Self.length($0) >= 79 }
            }
        },
        BuiltinSpamRule("UPPERCASE_50_75", 0.791, "message body is 50-75% uppercase") { input in
            guard let ratio = input.uppercaseRatio else {
                return false
            }
            return ratio >= 0.5 && ratio < 0.75
        },
        BuiltinSpamRule("UPPERCASE_75_100", 1.189, "message body is 75-100% uppercase") { input in
            guard let ratio = input.uppercaseRatio else {
                return false
            }
            return ratio >= 0.75
        },
        BuiltinSpamRule("DEAR_FRIEND", 2.604, "Dear Friend? That's not very dear!") { input in
            input.hasGreeting(["friend", "friends"])
        },
        BuiltinSpamRule("DEAR_SOMETHING", 1.731, "Contains 'Dear (something)'") { input in
            input.hasGreeting([
                "sir", "sirs", "madam", "candidate", "investor", "traveler", "traveller", "beneficiary", "winner",
                "internet", "web", "user", "member", "account",
            ])
        },
        BuiltinSpamRule("LOTS_OF_MONEY", 0.001, "Huge... sums of money") { $0.mentionsLotsOfMoney },
        BuiltinSpamRule("UNCLAIMED_MONEY", 2.699, "People just leave money laying around") { input in
            let words = input.words
            for (index, word) in words.enumerated() where word == "unclaimed" {
                for next in words[(index + 1)..<min(index + 4, words.count)]
                where ["funds", "fund", "money", "inheritance", "prize", "assets", "sum", "winnings"].contains(next) {
                    return true
                }
            }
            return false
        },
    ]

    /// Line length without the CR of a CRLF.
    static func length(_ line: ArraySlice<UInt8>) -> Int {
        line.last == ASCII.cr ? line.count - 1 : line.count
    }
}

extension SpamInput {
    /// True when there is HTML and no text/plain among the readable parts.
    var isHTMLOnly: Bool {
        let html = self.textParts.contains { $0.contentType.subtype == "html" }
        let plain = self.textParts.contains { $0.contentType.subtype == "plain" }
        return html && !plain
    }

    /// Share of uppercase among the letters of the visible text; nil under 100 letters.
    var uppercaseRatio: Double? {
        var letters = 0
        var upper = 0
        for byte in self.visibleText.utf8 where ASCII.isAlpha(byte) {
            letters += 1
            if byte < 0x61 {
                upper += 1
            }
        }
        return letters >= 100 ? Double(upper) / Double(letters) : nil
    }

    /// True when a line starts with "Dear" followed by one of `words`.
    func hasGreeting(_ words: Set<String>) -> Bool {
        self.greetings.contains { words.contains($0) }
    }

    /// "5 million dollars", "$12,000,000", "USD 3.5 billion".
    var mentionsLotsOfMoney: Bool {
        let currencies: Set<Substring> = ["dollars", "usd", "euros", "eur", "pounds", "gbp"]
        for (index, word) in self.words.enumerated() where word == "million" || word == "billion" {
            let window = self.words[max(0, index - 3)..<min(self.words.count, index + 4)]
            if window.contains(where: currencies.contains) {
                return true
            }
        }
        // $1,000,000 and more, written with separators.
        let text = self.visibleText.utf8
        var index = text.startIndex
        while let dollar = text[index...].firstIndex(of: 0x24) {
            let digits = text[text.index(after: dollar)...].prefix { ASCII.isDigit($0) || $0 == ASCII.comma }
            if digits.filter({ $0 == ASCII.comma }).count >= 2 {
                return true
            }
            index = text.index(after: dollar)
        }
        return false
    }
}

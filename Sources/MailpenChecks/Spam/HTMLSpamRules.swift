import MailpenMIME

/// Rules over the HTML body: how much text there is around images, and suspicious markup.
extension BuiltinSpamRules {
    static let htmlRules: [BuiltinSpamRule] = {
        var rules: [BuiltinSpamRule] = [
            BuiltinSpamRule("HTML_MESSAGE", 0.001, "HTML included in message") { $0.htmlBody != nil },
            BuiltinSpamRule("HTML_MIME_NO_HTML_TAG", 0.635, "HTML-only message, but there is no HTML tag") { input in
                input.isHTMLOnly && input.html != nil && input.count("html") == 0
            },
            BuiltinSpamRule("HTML_IFRAME_SRC", 1.4, "Message has HTML IFRAME tag with SRC URI") { input in
                input.iframes.contains { $0.attribute("src").map { !Bytes.trimmed($0).isEmpty } ?? false }
            },
            BuiltinSpamRule("HTML_EMBEDS", 0.001, "HTML with embedded plugin object") { input in
                input.count("object") + input.count("embed") + input.count("applet") > 0
            },
            BuiltinSpamRule("HTML_TAG_BALANCE_BODY", 0.1, "HTML has unbalanced \"body\" tags") { input in
                let start = input.count("body")
                let end = input.endTagCounts["body"] ?? 0
                return start > 1 || end > 1 || (start != end && end > 0)
            },
            BuiltinSpamRule("HTML_COMMENT_SAVED_URL", 0.357, "HTML message is a saved web page") { input in
                guard let html = input.html else {
                    return false
                }
                for token in html.tokens {
                    if case .comment(let range, _) = token,
                        ByteText.lowercasedASCII(Bytes.trimmed(html.string(range))).hasPrefix("saved from url=")
                    {
                        return true
                    }
                }
                return false
            },
            BuiltinSpamRule("HTML_FONT_SIZE_HUGE", 0.001, "HTML font size is huge") { input in
                input.fonts.contains { tag in
                    guard let size = tag.attribute("size").map(Bytes.trimmed) else {
                        return false
                    }
                    if size.hasPrefix("+") {
                        return (Int(size.dropFirst()) ?? 0) + 3 >= 6
                    }
                    return (Int(size) ?? 0) >= 6
                }
            },
        ]
        let imageOnlyScores: [Double] = [0.342, 1.781, 1.629, 1.048, 0.7, 1.282, 0.726, 0.001]
        for (step, score) in imageOnlyScores.enumerated() {
            let low = step * 400
            let high = low + 400
            let name = "HTML_IMAGE_ONLY_" + (high < 1000 ? "0" : "") + String(high / 100)
            rules.append(
                BuiltinSpamRule(name, score, "HTML: images with \(low)-\(high) bytes of words") { input in
                    guard input.html != nil, input.count("img") > 0 else {
                        return false
                    }
                    let bytes = input.htmlWordBytes
                    return bytes >= low && bytes < high
                }
            )
        }
        let shortLinkRanges: [(Int, Int, Double)] = [(0, 1024, 0.139), (1024, 1536, 0.259), (1536, 2048, 0.328)]
        for (number, (low, high, score)) in shortLinkRanges.enumerated() {
            rules.append(
                BuiltinSpamRule("HTML_SHORT_LINK_IMG_\(number + 1)", score, "HTML is very short with a linked image") {
                    input in
                    input.hasLinkedImage && input.htmlText.utf8.count >= low && input.htmlText.utf8.count < high
                }
            )
        }
        return rules
    }()
}

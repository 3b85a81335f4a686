import MailpenMIME

/// Rules over the URLs of both bodies and the text of HTML links.
extension BuiltinSpamRules {
    static let uriRules: [BuiltinSpamRule] = [
        BuiltinSpamRule("NUMERIC_HTTP_ADDR", 0.001, "Uses a numeric IP address in URL") { input in
            input.webURLs.contains(where: \.isIPv4)
        },
        BuiltinSpamRule("WEIRD_PORT", 0.001, "Uses non-standard port number for HTTP") { input in
            input.webURLs.contains { url in
                guard let port = url.port else {
                    return false
                }
                return port != 80 && port != 443 && port != 8080
            }
        },
        BuiltinSpamRule("URI_HEX", 0.1, "URI hostname has long hexadecimal sequence") { input in
            input.webURLs.contains { Self.hasHexLabel($0.host) }
        },
        BuiltinSpamRule("URL_SHORTENER", 0.5, "Contains a link through a URL shortener (Mailpen)") { $0.hasShortener },
        BuiltinSpamRule("SHORTENER_SHORT_IMG", 1.0, "Short HTML + image + URL shortener") { input in
            input.hasShortener && input.hasLinkedImage && input.htmlText.utf8.count < 1024
        },
        BuiltinSpamRule("HTTPS_HTTP_MISMATCH", 0.1, "Link text says https:// but the link goes to http://") { input in
            input.anchors.contains { anchor in
                ByteText.lowercasedASCII(anchor.text).hasPrefix("https://")
                    && ByteText.lowercasedASCII(Bytes.trimmed(anchor.href)).hasPrefix("http://")
            }
        },
        BuiltinSpamRule(
            "URI_TEXT_MISMATCH",
            1.5,
            "Link text shows a different domain than the link goes to (Mailpen)"
        ) { input in
            input.anchors.contains(where: Self.textDomainMismatch)
        },
    ]

    /// A host label of six or more hex digits with a digit and no run of three letters.
    static func hasHexLabel(_ host: String) -> Bool {
        for label in host.split(whereSeparator: { $0 == "." || $0 == "-" }) where label.count >= 6 {
            let bytes = Array(label.utf8)
            guard bytes.allSatisfy(ASCII.isHexDigit), bytes.contains(where: ASCII.isDigit) else {
                continue
            }
            if Self.longestRun(in: String(label), where: { !ASCII.isDigit($0) }) < 3 {
                return true
            }
        }
        return false
    }

    /// True when an anchor's text is itself a URL or domain on another site than its href.
    static func textDomainMismatch(_ anchor: HTMLAnchor) -> Bool {
        guard let target = URLParts(anchor.href), target.scheme == "http" || target.scheme == "https" else {
            return false
        }
        var text = ByteText.lowercasedASCII(Bytes.trimmed(anchor.text))
        guard !text.isEmpty, !text.contains(" ") else {
            return false
        }
        if !text.contains("://") {
            // A bare domain ("www.bank.com", "bank.com/login") reads as a link too.
            guard text.contains("."), let last = text.split(separator: "/").first?.split(separator: ".").last,
                last.count >= 2, last.utf8.allSatisfy(ASCII.isAlpha)
            else {
                return false
            }
            text = "http://" + text
        }
        guard let shown = URLParts(text) else {
            return false
        }
        return DomainNames.organizationalDomain(shown.host) != DomainNames.organizationalDomain(target.host)
    }
}

extension SpamInput {
    var hasShortener: Bool {
        self.webURLs.contains { DomainNames.isShortener($0.host) }
    }
}

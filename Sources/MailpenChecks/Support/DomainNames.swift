import MailpenMIME

/// Facts about domain names and addresses that spam rules and the lint share.
enum DomainNames {
    /// The domain of an address (after the last `@`), lowercased; nil without one.
    static func domain(ofAddress address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else {
            return nil
        }
        var domain = ByteText.lowercasedASCII(String(address[address.index(after: at)...]))
        if domain.hasSuffix(".") {
            domain.removeLast()
        }
        if domain.hasSuffix(">") {
            domain.removeLast()
        }
        return domain.isEmpty ? nil : domain
    }

    /// The part of an address before the last `@`.
    static func localPart(ofAddress address: String) -> String {
        guard let at = address.lastIndex(of: "@") else {
            return address
        }
        return String(address[..<at])
    }

    /// Second-level labels under which country-code registries sell names (`example.co.uk`).
    private static let secondLevelLabels: Set<String> = [
        "co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go", "gv", "mil", "nhs", "ltd", "plc", "sch",
    ]

    /// The registrable ("organizational") domain: the last two labels, or three under a
    /// country code's generic second level (`mail.shop.co.uk` → `shop.co.uk`).
    /// An approximation of the Public Suffix List, good enough for alignment hints.
    static func organizationalDomain(_ domain: String) -> String {
        let labels = ByteText.lowercasedASCII(domain).split(separator: ".", omittingEmptySubsequences: true)
        guard labels.count > 2 else {
            return labels.joined(separator: ".")
        }
        let topLevel = labels[labels.count - 1]
        let second = String(labels[labels.count - 2])
        let keep = topLevel.count == 2 && self.secondLevelLabels.contains(second) ? 3 : 2
        return labels.suffix(keep).joined(separator: ".")
    }

    /// Mailbox providers anyone can sign up with (after SpamAssassin's `freemail_domains`).
    private static let freemailDomains: Set<String> = [
        "gmail.com", "googlemail.com", "ymail.com", "rocketmail.com", "outlook.com", "msn.com", "aol.com", "aim.com",
        "icloud.com", "me.com", "mac.com", "gmx.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de", "mail.com",
        "email.com", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "yandex.ru", "yandex.com", "ya.ru", "protonmail.com",
        "protonmail.ch", "proton.me", "pm.me", "zoho.com", "qq.com", "163.com", "126.com", "sina.com", "naver.com",
        "hanmail.net", "daum.net", "libero.it", "laposte.net", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr",
        "t-online.de", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl", "rediffmail.com", "tutanota.com",
        "tuta.io", "fastmail.com", "fastmail.fm", "hushmail.com", "inbox.com", "lycos.com", "mailinator.com",
        "rambler.ru", "virgilio.it", "bol.com.br", "uol.com.br", "terra.com.br", "att.net", "comcast.net",
        "verizon.net", "sbcglobal.net", "btinternet.com", "sky.com", "bigpond.com", "optusnet.com.au",
    ]

    /// Provider names registered under many country domains (`yahoo.co.jp`, `hotmail.fr`).
    private static let freemailBrands: Set<String> = [
        "yahoo", "hotmail", "live", "outlook", "windowslive", "aol", "gmx",
    ]

    static func isFreemail(_ domain: String) -> Bool {
        let domain = ByteText.lowercasedASCII(domain)
        if self.freemailDomains.contains(domain) {
            return true
        }
        guard let brand = domain.split(separator: ".").first else {
            return false
        }
        return self.freemailBrands.contains(String(brand))
    }

    /// Hosts of URL shorteners (from SpamAssassin's `url_shortener` list, abridged).
    static let shortenerHosts: Set<String> = [
        "bit.ly", "bitly.com", "bit.do", "tinyurl.com", "tiny.cc", "tiny.one", "goo.gl", "t.co", "ow.ly", "owl.li",
        "is.gd", "v.gd", "buff.ly", "rebrand.ly", "cutt.ly", "shorturl.at", "rb.gy", "t.ly", "s.id", "lnkd.in",
        "db.tt", "qr.ae", "adf.ly", "bl.ink", "soo.gd", "x.co", "j.mp", "youtu.be", "amzn.to", "fb.me", "wp.me",
        "dlvr.it", "trib.al", "shar.es", "snip.ly", "ouo.io", "gg.gg", "tr.im", "u.to", "clck.ru", "1url.com",
        "shorte.st", "urlz.at", "surl.li", "shorturl.asia", "tinylink.in", "bitly.ws", "han.gl", "kutt.it",
    ]

    static func isShortener(_ host: String) -> Bool {
        var host = ByteText.lowercasedASCII(host)
        if host.hasPrefix("www.") {
            host.removeFirst(4)
        }
        return self.shortenerHosts.contains(host)
    }
}

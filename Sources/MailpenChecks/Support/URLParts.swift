import MailpenMIME

/// The pieces of an absolute URL the rules look at, read leniently from text
/// (Foundation's `URL` rejects much of what mail actually contains).
struct URLParts: Sendable, Equatable {
    /// Lowercased scheme.
    var scheme: String
    /// Lowercased host without brackets, user info or port.
    var host: String
    /// The explicit port, if any.
    var port: Int?

    /// Parses `scheme://[userinfo@]host[:port][/…]`; nil for anything else.
    init?(_ url: String) {
        guard let schemeEnd = url.firstRange(of: "://") else {
            return nil
        }
        let scheme = ByteText.lowercasedASCII(String(url[..<schemeEnd.lowerBound]))
        guard !scheme.isEmpty,
            scheme.utf8.allSatisfy({
                ASCII.isAlpha($0) || ASCII.isDigit($0) || $0 == ASCII.plus || $0 == ASCII.minus || $0 == ASCII.dot
            })
        else {
            return nil
        }
        var authority = url[schemeEnd.upperBound...]
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == "\\" }) {
            authority = authority[..<end]
        }
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        var host = authority
        var port: Int? = nil
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") {
                let after = host[host.index(after: close)...]
                host = host[host.index(after: host.startIndex)..<close]
                if after.hasPrefix(":") {
                    port = Int(after.dropFirst())
                }
            }
        } else if let colon = host.lastIndex(of: ":") {
            port = Int(host[host.index(after: colon)...])
            host = host[..<colon]
        }
        guard !host.isEmpty else {
            return nil
        }
        self.scheme = scheme
        self.host = ByteText.lowercasedASCII(String(host))
        self.port = port
    }

    /// True when the host is a dotted-quad IPv4 address.
    var isIPv4: Bool {
        let labels = self.host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count == 4
            && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 3 && label.utf8.allSatisfy(ASCII.isDigit)
            }
    }
}

/// The service extensions a server announced in its EHLO reply (RFC 5321 §4.1.1.1), parsed into what
/// the client decides on: pipelining, the size limit, 8-bit and UTF-8 support, TLS and AUTH.
public struct SMTPServerCapabilities: Sendable, Hashable {
    /// Every announced keyword (upper-cased) with its parameters.
    public var extensions: [String: [String]]

    /// What a server greeted with HELO offers: nothing.
    public static let none = SMTPServerCapabilities(extensions: [:])

    public init(extensions: [String: [String]]) {
        self.extensions = extensions
    }

    /// Parses a 250 reply to EHLO. Its first line names the server; every further line is an extension.
    public init(ehloReply: SMTPServerReply) {
        var extensions: [String: [String]] = [:]
        for line in ehloReply.lines.dropFirst() {
            // Old servers write `AUTH=PLAIN LOGIN` for the benefit of broken clients; read it as `AUTH`.
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" && line.hasPrefix("AUTH=") })
            guard let keyword = words.first, !keyword.isEmpty else { continue }
            let name = keyword.uppercased()
            extensions[name, default: []].append(contentsOf: words.dropFirst().map(String.init))
        }
        self.init(extensions: extensions)
    }

    /// Whether the keyword was announced.
    public func offers(_ keyword: String) -> Bool { extensions[keyword.uppercased()] != nil }

    /// SIZE (RFC 1870) was announced: the client may declare the message size in MAIL FROM.
    public var supportsSize: Bool { offers("SIZE") }
    /// The largest message the server accepts, if it announced one (`SIZE 0` or plain `SIZE` means no limit).
    public var maximumMessageSize: Int? {
        guard let value = extensions["SIZE"]?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }
    /// PIPELINING (RFC 2920): MAIL, RCPT and DATA may be sent without waiting for each reply.
    public var supportsPipelining: Bool { offers("PIPELINING") }
    /// 8BITMIME (RFC 6152): a message with 8-bit octets may be sent with `BODY=8BITMIME`.
    public var supports8BitMIME: Bool { offers("8BITMIME") }
    /// SMTPUTF8 (RFC 6531): addresses and headers may be UTF-8.
    public var supportsSMTPUTF8: Bool { offers("SMTPUTF8") }
    /// STARTTLS (RFC 3207).
    public var supportsStartTLS: Bool { offers("STARTTLS") }
    /// CHUNKING (RFC 3030): BDAT.
    public var supportsChunking: Bool { offers("CHUNKING") }
    /// ENHANCEDSTATUSCODES (RFC 2034).
    public var supportsEnhancedStatusCodes: Bool { offers("ENHANCEDSTATUSCODES") }
    /// DSN (RFC 3461).
    public var supportsDSN: Bool { offers("DSN") }
    /// The SASL mechanisms after AUTH, upper-cased.
    public var authenticationMechanisms: Set<String> {
        Set((extensions["AUTH"] ?? []).map { $0.uppercased() })
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real SMTP server that Mailpen relays ("releases") messages to, with everything needed to reach it:
/// address, TLS, credentials, an optional sender override and timeouts, plus the recipient patterns and
/// retry backoff a queue applies. Parse one from a URL with ``init(url:)``.
public struct RelayTarget: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var host: String
    public var port: Int
    public var tls: SMTPClientTLSMode
    /// Whether the server's certificate must chain to a trusted root and name ``host``. Off only for
    /// staging servers with self-signed certificates.
    public var verifiesCertificate: Bool
    /// A PEM file of extra roots to trust besides the system's (a staging CA).
    public var trustRootsPath: String?
    public var authentication: SMTPClientAuthentication?
    /// Replaces every message's own reverse path in MAIL FROM when set.
    public var mailFrom: String?
    /// The name given in EHLO/HELO.
    public var heloName: String
    public var timeouts: SMTPClientTimeouts
    /// Recipient patterns the queue may relay to; empty means any.
    public var allowedRecipients: [String]
    /// Recipient patterns the queue must not relay to.
    public var deniedRecipients: [String]
    /// How long the queue waits before retrying a temporary failure; `nil` leaves it to the queue.
    public var backoff: Duration?

    public init(
        host: String,
        port: Int,
        tls: SMTPClientTLSMode = .startTLS,
        verifiesCertificate: Bool = true,
        trustRootsPath: String? = nil,
        authentication: SMTPClientAuthentication? = nil,
        mailFrom: String? = nil,
        heloName: String = RelayTarget.defaultHeloName,
        timeouts: SMTPClientTimeouts = SMTPClientTimeouts(),
        allowedRecipients: [String] = [],
        deniedRecipients: [String] = [],
        backoff: Duration? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.verifiesCertificate = verifiesCertificate
        self.trustRootsPath = trustRootsPath
        self.authentication = authentication
        self.mailFrom = mailFrom
        self.heloName = heloName
        self.timeouts = timeouts
        self.allowedRecipients = allowedRecipients
        self.deniedRecipients = deniedRecipients
        self.backoff = backoff
    }

    /// The dialogue settings for ``SMTPClientStateMachine``.
    public var clientConfiguration: SMTPClientStateMachine.Configuration {
        .init(heloName: heloName, tls: tls, authentication: authentication, timeouts: timeouts)
    }

    /// The target as a URL with the password left out, for logs and the UI.
    public var description: String {
        var text = "smtp://"
        if let authentication {
            text += (authentication.username.addingURLPercentEncoding()) + ":***@"
        }
        text += host.contains(":") ? "[\(host)]" : host
        text += ":\(port)?tls=\(tls.rawValue)"
        if !verifiesCertificate { text += "&verify=false" }
        if let authentication { text += "&auth=\(authentication.mechanism.rawValue.lowercased())" }
        if let mailFrom { text += "&from=\(mailFrom.addingURLPercentEncoding())" }
        return text
    }

    /// The same as ``description``: the password stays out of debug output too.
    public var debugDescription: String { description }

    /// This machine's host name, or `localhost` if it has none.
    public static var defaultHeloName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}

extension String {
    /// Percent-encodes everything but unreserved URL characters (RFC 3986 §2.3).
    func addingURLPercentEncoding() -> String {
        var result = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += byte < 0x10 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return result
    }
}

/// The `spam` check's result, in the shape Mailtrap and Mailosaur users know:
/// a SpamAssassin-style score against a threshold and the rules that fired.
public struct SpamReport: Sendable, Codable, Equatable {
    public var score: Double
    public var threshold: Double
    /// `score >= threshold`.
    public var isSpam: Bool
    /// `builtin` or `spamassassin`.
    public var engine: String
    /// The rules that fired, highest score first.
    public var rules: [SpamRule]

    public init(score: Double, threshold: Double, isSpam: Bool, engine: String, rules: [SpamRule]) {
        self.score = score
        self.threshold = threshold
        self.isSpam = isSpam
        self.engine = engine
        self.rules = rules
    }
}

/// One rule that fired.
public struct SpamRule: Sendable, Codable, Equatable {
    /// SpamAssassin's rule name where one exists, e.g. `MISSING_DATE`.
    public var name: String
    public var score: Double
    public var description: String

    public init(name: String, score: Double, description: String) {
        self.name = name
        self.score = score
        self.description = description
    }
}

/// Which engine scores messages.
public enum SpamEngine: Sendable, Equatable {
    /// Mailpen's own SpamAssassin-style rules; no I/O.
    case builtin
    /// A SpamAssassin `spamd` reached over TCP.
    case spamassassin(SpamdConfiguration)
}

/// Where spamd listens, how long to wait for it, and the largest message it is sent.
public struct SpamdConfiguration: Sendable, Equatable {
    /// spamc's own default for `-s`: spamd is built for mail of this order, and a larger message costs it
    /// (and the request's copies here) in proportion, for a score that hardly changes.
    public static let defaultMaximumMessageBytes = 500 * 1024

    public var host: String
    public var port: Int
    /// Connect + scan + reply deadline.
    public var timeout: Duration
    /// Sent as the `User` header (spamd's per-user preferences); nil sends none.
    public var user: String?
    /// A larger message is not sent: its check answers with a clear error instead.
    public var maximumMessageBytes: Int

    public init(
        host: String, port: Int = 783, timeout: Duration = .seconds(15), user: String? = nil,
        maximumMessageBytes: Int = Self.defaultMaximumMessageBytes
    ) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.user = user
        self.maximumMessageBytes = max(1, maximumMessageBytes)
    }

    /// Parses `host:port`, `[v6]:port` or a bare host (port 783); nil when malformed.
    public init?(address: String, timeout: Duration = .seconds(15)) {
        let text = Bytes.trimmed(address)
        var host = Substring(text)
        var port = 783
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                return nil
            }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else {
                    return nil
                }
                port = value
            }
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            guard let value = Int(host[host.index(after: colon)...]) else {
                return nil
            }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty, (1...65535).contains(port) else {
            return nil
        }
        self.init(host: String(host), port: port, timeout: timeout)
    }

    /// `host:port` as given (IPv6 in brackets).
    public var address: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}

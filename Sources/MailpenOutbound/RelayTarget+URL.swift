extension RelayTarget {
    /// Parses the URL form of a relay target:
    ///
    ///     smtp://[user:password@]host[:port]?tls=starttls|implicit|none&verify=true|false
    ///         &auth=plain|login|cram-md5&from=ADDR&allow=PATTERN,PATTERN&deny=PATTERN&backoff=30s
    ///         &helo=NAME&ca=/path/to/roots.pem&timeout=10m
    ///
    /// Every parameter is optional: `tls` defaults to `starttls` (`implicit` for `smtps://`), `verify` to
    /// `true`, `auth` to `plain` when credentials are given; the port defaults to 465 for implicit TLS and
    /// 25 otherwise. The username, password and values are percent-decoded. Unknown or repeated parameters
    /// are errors, so a typo cannot silently turn off verification.
    public init(url text: String) throws(RelayTargetURLError) {
        if let bad = text.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            throw .invalidCharacter(bad == " " ? "a space" : "a control character")
        }
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { throw .notAURL }
        let scheme = text[..<colon].lowercased()
        guard scheme == "smtp" || scheme == "smtps" else { throw .unsupportedScheme(String(scheme)) }
        var rest = text[colon...].dropFirst(3)
        if rest.contains("#") { throw .unexpectedFragment }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { throw .unexpectedPath(String(rest[slash...])) }
            rest = rest[..<slash]
        }

        var credentials: (username: String, password: String?)?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                credentials = (
                    try Self.percentDecoded(userInfo[..<colon], part: "username"),
                    try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], part: "password")
                )
            } else {
                credentials = (try Self.percentDecoded(userInfo, part: "username"), nil)
            }
        }
        let (host, portText) = try Self.splitHostAndPort(rest)

        let parameters = try Self.parameters(query)
        var tls: SMTPClientTLSMode = scheme == "smtps" ? .implicit : .startTLS
        if let value = parameters["tls"] {
            guard let mode = SMTPClientTLSMode(rawValue: value.lowercased()) else {
                throw .invalidValue(parameter: "tls", value: value, expected: "starttls, implicit or none")
            }
            if scheme == "smtps" && mode != .implicit { throw .conflictingTLS(value) }
            tls = mode
        }
        var port = tls == .implicit ? 465 : 25
        if let portText {
            guard portText.allSatisfy(\.isASCIIDigit), portText.count <= 5, let number = Int(portText),
                (1...65535).contains(number)
            else { throw .invalidPort(String(portText)) }
            port = number
        }
        var verifies = true
        if let value = parameters["verify"] {
            switch value.lowercased() {
            case "true": verifies = true
            case "false": verifies = false
            default: throw .invalidValue(parameter: "verify", value: value, expected: "true or false")
            }
        }
        var authentication: SMTPClientAuthentication?
        let mechanismName = parameters["auth"]
        if let credentials {
            guard !credentials.username.isEmpty else { throw .emptyUsername }
            guard let password = credentials.password else { throw .missingPassword }
            var mechanism = SMTPClientAuthentication.Mechanism.plain
            if let mechanismName {
                guard let chosen = SMTPClientAuthentication.Mechanism(name: mechanismName) else {
                    throw .invalidValue(parameter: "auth", value: mechanismName, expected: "plain, login or cram-md5")
                }
                mechanism = chosen
            }
            authentication = SMTPClientAuthentication(
                mechanism: mechanism, username: credentials.username, password: password)
        } else if mechanismName != nil {
            throw .authenticationWithoutCredentials
        }
        var mailFrom: String?
        if let value = parameters["from"] {
            let address = value == "<>" ? "" : value
            if value.isEmpty || address.contains(where: { $0 == "<" || $0 == ">" }) {
                throw .invalidValue(parameter: "from", value: value, expected: "an address, or <> for the null sender")
            }
            mailFrom = address
        }
        var heloName = RelayTarget.defaultHeloName
        if let value = parameters["helo"] {
            guard !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw .invalidValue(parameter: "helo", value: value, expected: "a host name")
            }
            heloName = value
        }
        if let value = parameters["ca"], value.isEmpty {
            throw .invalidValue(parameter: "ca", value: value, expected: "the path of a PEM file")
        }
        var timeouts = SMTPClientTimeouts()
        if let value = parameters["timeout"] {
            guard let duration = Self.parseDuration(value) else {
                throw .invalidValue(
                    parameter: "timeout", value: value, expected: "a duration such as 90s, 10m or 1h, at most 30 days")
            }
            timeouts.attempt = duration
        }
        self.init(
            host: host, port: port, tls: tls, verifiesCertificate: verifies, trustRootsPath: parameters["ca"],
            authentication: authentication, mailFrom: mailFrom, heloName: heloName, timeouts: timeouts,
            allowedRecipients: try Self.patterns(parameters["allow"], parameter: "allow"),
            deniedRecipients: try Self.patterns(parameters["deny"], parameter: "deny"),
            backoff: try parameters["backoff"].map { value throws(RelayTargetURLError) in
                guard let duration = Self.parseDuration(value) else {
                    throw .invalidValue(
                        parameter: "backoff", value: value,
                        expected: "a duration such as 30s, 5m, 1h or 1h30m, at most 30 days")
                }
                return duration
            })
    }

    static let parameterNames: Set<String> = [
        "tls", "verify", "auth", "from", "allow", "deny", "backoff", "helo", "ca", "timeout",
    ]

    private static func parameters(_ query: Substring) throws(RelayTargetURLError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else { throw .missingValue(String(pair)) }
            let name = pair[..<equals].lowercased()
            guard parameterNames.contains(name) else { throw .unknownParameter(name) }
            guard result[name] == nil else { throw .repeatedParameter(name) }
            result[name] = try percentDecoded(pair[pair.index(after: equals)...], part: "parameter \(name)")
        }
        return result
    }

    private static func splitHostAndPort(_ authority: Substring) throws(RelayTargetURLError) -> (String, Substring?) {
        var host: Substring
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidHost(String(authority)) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost(String(authority)) }
                port = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw .invalidHost(String(authority))
            }
        } else {
            host = authority
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            }
            guard !host.isEmpty else { throw .missingHost }
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
            else { throw .invalidHost(String(host)) }
        }
        return (String(host), port)
    }

    private static func patterns(_ value: String?, parameter: String) throws(RelayTargetURLError) -> [String] {
        guard let value else { return [] }
        let patterns = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !patterns.contains(where: \.isEmpty) else {
            throw .invalidValue(parameter: parameter, value: value, expected: "comma-separated patterns, none empty")
        }
        return patterns
    }

    /// The longest backoff accepted.
    static let maximumBackoff: Duration = .seconds(30 * 24 * 3600)

    /// A duration such as `30s`, `5m`, `1h30m`, `2d` or `500ms`; a bare number is seconds. `nil` if it is
    /// malformed, zero or longer than ``maximumBackoff``.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(suffix: String, milliseconds: Int64)] = [
            ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
        ]
        var rest = Substring(text)
        var total: Int64 = 0
        if !rest.isEmpty, rest.allSatisfy(\.isASCIIDigit) { rest += "s" }
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard !digits.isEmpty, digits.count <= 12, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix(while: { $0.isASCII && $0.isLetter })
            guard let unit = units.first(where: { $0.suffix == letters }) else { return nil }
            rest = rest.dropFirst(letters.count)
            let (part, overflow) = number.multipliedReportingOverflow(by: unit.milliseconds)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(part)
            guard !sumOverflow else { return nil }
            total = sum
        }
        let duration = Duration.milliseconds(total)
        guard total > 0, duration <= maximumBackoff else { return nil }
        return duration
    }

    /// Decodes `%XX` escapes; the result must be UTF-8.
    private static func percentDecoded(_ text: Substring, part: String) throws(RelayTargetURLError) -> String {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = hexValue(utf8.removeFirst()), let low = hexValue(utf8.removeFirst())
            else {
                throw .invalidPercentEncoding(part)
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw .invalidPercentEncoding(part) }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Why a relay URL could not be parsed. The messages never repeat the password.
public enum RelayTargetURLError: Error, Sendable, Hashable, CustomStringConvertible {
    case notAURL
    case invalidCharacter(String)
    case unsupportedScheme(String)
    case unexpectedFragment
    case unexpectedPath(String)
    case missingHost
    case invalidHost(String)
    case invalidPort(String)
    case emptyUsername
    case missingPassword
    case invalidPercentEncoding(String)
    case missingValue(String)
    case unknownParameter(String)
    case repeatedParameter(String)
    case invalidValue(parameter: String, value: String, expected: String)
    case conflictingTLS(String)
    case authenticationWithoutCredentials

    public var description: String {
        switch self {
        case .notAURL:
            return "a relay must be a URL such as smtp://user:password@smtp.example.com:587?tls=starttls"
        case .invalidCharacter(let what):
            return "the relay URL contains \(what); percent-encode it (a space is %20)"
        case .unsupportedScheme(let scheme):
            return "the relay URL must start with smtp:// or smtps://, not \(scheme)://"
        case .unexpectedFragment:
            return "the relay URL must not contain '#' (percent-encode it as %23 in a password)"
        case .unexpectedPath(let path):
            return "the relay URL has a path (\(path)); it takes only a host, a port and ?parameters"
        case .missingHost:
            return "the relay URL names no host"
        case .invalidHost(let host):
            return "'\(host)' is not a valid host name or address"
        case .invalidPort(let port):
            return "'\(port)' is not a port number (1-65535)"
        case .emptyUsername:
            return "the relay URL has an empty username"
        case .missingPassword:
            return "the relay URL has a username but no password (user:password@host)"
        case .invalidPercentEncoding(let part):
            return "the \(part) in the relay URL has an invalid %-escape or is not UTF-8"
        case .missingValue(let name):
            return "the relay URL parameter '\(name)' has no value (\(name)=...)"
        case .unknownParameter(let name):
            let known = RelayTarget.parameterNames.sorted().joined(separator: ", ")
            return "unknown relay URL parameter '\(name)' (known: \(known))"
        case .repeatedParameter(let name):
            return "the relay URL parameter '\(name)' is given more than once"
        case .invalidValue(let parameter, let value, let expected):
            return "\(parameter)=\(value) is not valid: expected \(expected)"
        case .conflictingTLS(let value):
            return "smtps:// means implicit TLS and cannot be combined with tls=\(value)"
        case .authenticationWithoutCredentials:
            return "auth= needs a username and password in the relay URL (smtp://user:password@host)"
        }
    }
}

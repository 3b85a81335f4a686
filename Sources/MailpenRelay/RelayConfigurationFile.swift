import Foundation
import MailpenOutbound
import Yams

/// The relay file (`--relay-config FILE`): the same fields as a relay URL, as YAML, plus the retry policy.
///
///     retry:                  # defaults for every relay (and for --relay flags)
///       backoff: 30s          # first retry delay, doubling after
///       maxBackoff: 1h
///       giveUpAfter: 24h
///     relays:
///       team:
///         url: smtp://user:secret@smtp.example.com:587   # or host/port/... below
///         host: smtp.example.com
///         port: 587
///         tls: starttls        # starttls | implicit | none
///         verify: true
///         username: user
///         password: secret
///         auth: plain          # plain | login | cram-md5
///         from: bounces@example.com
///         helo: mailpen.example.com
///         ca: /etc/ssl/staging-ca.pem
///         timeout: 10m         # an attempt, from connecting to the 354 reply to DATA
///         allow: ["*@mycompany.example"]
///         deny: ["ceo@mycompany.example"]
///         retry: { backoff: 1m, maxBackoff: 2h, giveUpAfter: 48h }
///
/// Unknown keys are errors, so that a typo cannot silently widen or loosen a relay.
enum RelayConfigurationFile {
    struct Parsed {
        var relays: [Relay]
        var defaultRetry: RetryPolicy
    }

    static let relayKeys: Set<String> = [
        "url", "host", "port", "tls", "verify", "username", "password", "auth", "from", "helo", "ca", "allow", "deny",
        "backoff", "retry", "timeout",
    ]

    static func load(path: String) throws(RelayConfigurationError) -> Parsed {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws(RelayConfigurationError) -> Parsed {
        func invalid(_ reason: String) -> RelayConfigurationError { .invalidFile(path: path, reason: reason) }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw invalid("\(error)")
        }
        guard let root = document as? [String: Any] else {
            if document == nil { return Parsed(relays: [], defaultRetry: RetryPolicy()) }
            throw invalid("the top level must be a mapping with 'relays' (and optionally 'retry')")
        }
        if let unknown = root.keys.first(where: { !["relays", "retry"].contains($0) }) {
            throw invalid("unknown key '\(unknown)' (known: relays, retry)")
        }
        let defaultRetry = try retryPolicy(root["retry"], base: RetryPolicy(), at: "retry", invalid: invalid)
        var relays: [Relay] = []
        if let entries = root["relays"] {
            guard let mapping = entries as? [String: Any] else {
                throw invalid("'relays' must map each relay name to its settings")
            }
            for name in mapping.keys.sorted() {
                guard Relay.isValidName(name) else { throw .invalidName(name) }
                guard let fields = mapping[name] as? [String: Any] else {
                    throw invalid("relays.\(name) must be a mapping of settings")
                }
                relays.append(try relay(name: name, fields: fields, defaultRetry: defaultRetry, invalid: invalid))
            }
        }
        return Parsed(relays: relays, defaultRetry: defaultRetry)
    }

    private static func relay(
        name: String, fields: [String: Any], defaultRetry: RetryPolicy,
        invalid: (String) -> RelayConfigurationError
    ) throws(RelayConfigurationError) -> Relay {
        if let unknown = fields.keys.sorted().first(where: { !relayKeys.contains($0) }) {
            throw invalid(
                "unknown key relays.\(name).\(unknown) (known: \(relayKeys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws(RelayConfigurationError) -> String? {
            guard let value = fields[key] else { return nil }
            if let text = value as? String { return text }
            if let number = value as? Int { return String(number) }
            if let flag = value as? Bool { return flag ? "true" : "false" }
            throw invalid("relays.\(name).\(key) must be a single value")
        }
        func list(_ key: String) throws(RelayConfigurationError) -> String? {
            guard let value = fields[key] else { return nil }
            if let text = value as? String { return text }
            guard let items = value as? [Any], let texts = items as? [String], !texts.isEmpty,
                !texts.contains(where: { $0.contains(",") })
            else { throw invalid("relays.\(name).\(key) must be a list of patterns") }
            return texts.joined(separator: ",")
        }
        // Every field becomes the same URL a --relay flag would give, so both forms are checked alike.
        var url: String
        if let given = try string("url") {
            let overlapping = ["host", "port", "username", "password"].filter { fields[$0] != nil }
            guard overlapping.isEmpty else {
                throw invalid("relays.\(name) has both url and \(overlapping.joined(separator: ", "))")
            }
            url = given
        } else {
            guard let host = try string("host") else { throw invalid("relays.\(name) needs a url or a host") }
            url = "smtp://"
            if let username = try string("username") {
                url += username.relayURLEncoded
                if let password = try string("password") { url += ":" + password.relayURLEncoded }
                url += "@"
            }
            url += host.contains(":") ? "[\(host)]" : host
            if let port = try string("port") { url += ":" + port }
        }
        var parameters: [String] = []
        for key in ["tls", "verify", "auth", "from", "helo", "ca", "backoff", "timeout"] {
            if let value = try string(key) { parameters.append("\(key)=\(value.relayURLEncoded)") }
        }
        for key in ["allow", "deny"] {
            if let value = try list(key) { parameters.append("\(key)=\(value.relayURLEncoded)") }
        }
        if !parameters.isEmpty {
            url += (url.contains("?") ? "&" : "?") + parameters.joined(separator: "&")
        }
        let target: RelayTarget
        do {
            target = try RelayTarget(url: url)
        } catch {
            throw .invalidURL(relay: name, error)
        }
        let retry = try retryPolicy(fields["retry"], base: defaultRetry, at: "relays.\(name).retry", invalid: invalid)
        return Relay(name: name, target: target, retry: retry)
    }

    private static func retryPolicy(
        _ value: Any?, base: RetryPolicy, at path: String, invalid: (String) -> RelayConfigurationError
    ) throws(RelayConfigurationError) -> RetryPolicy {
        guard let value else { return base }
        guard let fields = value as? [String: Any] else { throw invalid("\(path) must be a mapping") }
        let known = ["backoff", "maxBackoff", "giveUpAfter", "jitter"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw invalid("unknown key \(path).\(unknown) (known: \(known.joined(separator: ", ")))")
        }
        func duration(_ key: String) throws(RelayConfigurationError) -> Duration? {
            guard let raw = fields[key] else { return nil }
            let text = (raw as? String) ?? (raw as? Int).map(String.init) ?? ""
            guard let parsed = RelayDuration.parse(text) else {
                throw invalid("\(path).\(key) must be a duration such as 30s, 5m, 1h or 1h30m (at most 30 days)")
            }
            return parsed
        }
        var policy = base
        if let backoff = try duration("backoff") { policy.initialDelay = backoff }
        if let maximum = try duration("maxBackoff") { policy.maximumDelay = maximum }
        if let total = try duration("giveUpAfter") { policy.giveUpAfter = total }
        if let jitter = fields["jitter"] {
            guard let share = (jitter as? Double) ?? (jitter as? Int).map(Double.init), (0...1).contains(share) else {
                throw invalid("\(path).jitter must be a number from 0 to 1")
            }
            policy.jitter = share
        }
        guard policy.maximumDelay >= policy.initialDelay else {
            throw invalid("\(path).maxBackoff must not be shorter than backoff")
        }
        return policy
    }
}

extension String {
    fileprivate var relayURLEncoded: String { RelayDuration.percentEncoded(self) }
}

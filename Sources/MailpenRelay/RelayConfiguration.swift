import Foundation
import MailpenOutbound

/// Every configured relay, from `--relay NAME=URL` flags, `MAILPEN_RELAY` (entries separated by `;`) and a
/// `--relay-config` YAML file. A name may be configured only once across all of them.
public struct RelayConfiguration: Sendable, Hashable {
    public private(set) var relays: [Relay]

    public init(relays: [Relay] = []) {
        self.relays = relays
    }

    /// No relay at all: releasing is off.
    public var isEmpty: Bool { relays.isEmpty }

    /// The relay with this name (exact).
    public func relay(named name: String) -> Relay? {
        relays.first { $0.name == name }
    }

    /// Adds a relay; throws if the name is invalid or taken.
    public mutating func add(_ relay: Relay) throws(RelayConfigurationError) {
        guard Relay.isValidName(relay.name) else { throw .invalidName(relay.name) }
        guard self.relay(named: relay.name) == nil else { throw .duplicateName(relay.name) }
        relays.append(relay)
    }

    /// Parses one `NAME=URL` entry.
    public static func parseEntry(_ entry: String, retry: RetryPolicy = RetryPolicy()) throws(RelayConfigurationError)
        -> Relay
    {
        guard let equals = entry.firstIndex(of: "=") else { throw .missingName(entry.prefix(8) + "…") }
        let name = String(entry[..<equals]).trimmingCharacters(in: .whitespaces)
        let url = String(entry[entry.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        guard Relay.isValidName(name) else { throw .invalidName(name) }
        do {
            return Relay(name: name, target: try RelayTarget(url: url), retry: retry)
        } catch {
            throw .invalidURL(relay: name, error)
        }
    }

    /// The relays of flags (each `NAME=URL`), then of the environment value (`;`-separated entries), then of
    /// the YAML file at `file`.
    public static func load(
        flags: [String], environment: String?, file: String?
    ) throws(RelayConfigurationError) -> RelayConfiguration {
        var configuration = RelayConfiguration()
        var fileRelays: [Relay] = []
        var retry = RetryPolicy()
        if let file {
            let parsed = try RelayConfigurationFile.load(path: file)
            fileRelays = parsed.relays
            retry = parsed.defaultRetry
        }
        let environmentEntries =
            environment?.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            } ?? []
        for entry in flags + environmentEntries {
            try configuration.add(try parseEntry(entry, retry: retry))
        }
        for relay in fileRelays { try configuration.add(relay) }
        return configuration
    }
}

/// Why the relay configuration could not be read. Never repeats a password.
public enum RelayConfigurationError: Error, Sendable, CustomStringConvertible {
    case missingName(String)
    case invalidName(String)
    case duplicateName(String)
    case invalidURL(relay: String, RelayTargetURLError)
    case unreadableFile(path: String, reason: String)
    case invalidFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingName(let start):
            return "a relay must be given as NAME=URL (such as team=smtp://smtp.example.com:587), not '\(start)'"
        case .invalidName(let name):
            return "'\(name)' is not a valid relay name (1-64 letters, digits and ._-)"
        case .duplicateName(let name):
            return "the relay '\(name)' is configured more than once"
        case .invalidURL(let relay, let error):
            return "relay '\(relay)': \(error)"
        case .unreadableFile(let path, let reason):
            return "cannot read the relay file \(path): \(reason)"
        case .invalidFile(let path, let reason):
            return "the relay file \(path) is not valid: \(reason)"
        }
    }
}

import MailpenRelay

extension MailpenConfiguration {
    /// Sets ``relays`` from `--relay NAME=URL` flags, `MAILPEN_RELAY` (`;`-separated entries) and a
    /// `--relay-config` YAML file; throws a message naming the bad entry (never its password).
    public mutating func loadRelays(flags: [String], environment: String?, file: String?) throws {
        relays = try RelayConfiguration.load(flags: flags, environment: environment, file: file)
    }

    /// One line per configured relay for the start-up banner: name, URL without password, allow patterns.
    public var relaySummaries: [String] {
        relays.relays.map { relay in
            let allow = relay.policy.allow
            let policy =
                allow.isEmpty
                ? "only recipients named in a release" : "allow \(allow.joined(separator: ","))"
            let deny = relay.policy.deny
            return
                "\(relay.name) → \(relay.target) (\(policy)\(deny.isEmpty ? "" : "; deny \(deny.joined(separator: ","))"))"
        }
    }
}

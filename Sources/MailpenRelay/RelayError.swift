/// Why a release or an auto-relay rule was refused. Each case says what to change.
public enum RelayError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No relay is configured at all.
    case noRelays
    case unknownRelay(String)
    /// The relay's policy refuses these recipients; nothing was queued.
    case refusedByPolicy(relay: String, recipients: [String], hasAllowList: Bool)
    case invalidRecipient(String)
    case noRecipients
    case tooManyRecipients(Int)
    case invalidRule(String)

    public var description: String {
        switch self {
        case .noRelays:
            return "no relay is configured (start Mailpen with --relay NAME=URL or --relay-config FILE)"
        case .unknownRelay(let name):
            return "there is no relay named '\(name)'"
        case .refusedByPolicy(let relay, let recipients, let hasAllowList):
            let list = recipients.joined(separator: ", ")
            if hasAllowList {
                return "relay '\(relay)' does not allow these recipients (see its allow and deny patterns): \(list)"
            }
            return "relay '\(relay)' has no allow patterns, so it takes only recipients named in 'to' and "
                + "not denied; refused: \(list)"
        case .invalidRecipient(let address):
            return "'\(address)' is not a valid recipient address"
        case .noRecipients:
            return "the release has no recipients"
        case .tooManyRecipients(let count):
            return "a release has at most 1000 recipients, not \(count)"
        case .invalidRule(let reason):
            return reason
        }
    }
}

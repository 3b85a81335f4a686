import MailpenStore

/// Which recipients a relay may send to. Safety first: with no `allow` patterns a relay takes only the
/// recipients a person names in a release, never automatic ones; a `deny` pattern always wins, also over
/// the address's subaddresses.
///
/// Patterns match whole addresses without regard to case: `*` any run of characters, `?` any one
/// (`*@mycompany.example`, `qa+*@example.com`).
public struct RecipientPolicy: Sendable, Hashable {
    public var allow: [String]
    public var deny: [String]

    public init(allow: [String] = [], deny: [String] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// How a recipient came to be asked for.
    public enum Origin: Sendable {
        /// Named by a person in a release (the `to` of the request, or the message's own recipients when a
        /// person releases it without a `to`).
        case explicit
        /// Chosen by an auto-relay rule.
        case automatic
    }

    /// Whether `address` may be relayed to.
    public func permits(_ address: String, origin: Origin) -> Bool {
        if isDenied(address) { return false }
        if allow.isEmpty { return origin == .explicit }
        return allow.contains { Self.matches($0, address) }
    }

    /// Whether a `deny` pattern matches the address, or the mailbox it is a subaddress of: receiving servers
    /// deliver `ceo+anything@` to `ceo@`, so `deny=ceo@corp.example` must refuse it too.
    private func isDenied(_ address: String) -> Bool {
        let mailbox = Self.withoutSubaddress(address)
        return deny.contains { pattern in
            Self.matches(pattern, address) || mailbox.map { Self.matches(pattern, $0) } == true
        }
    }

    /// `local+tag@domain` as `local@domain`; nil when the local part has no `+` after its first character.
    static func withoutSubaddress(_ address: String) -> String? {
        guard let at = address.lastIndex(of: "@"), let plus = address[..<at].firstIndex(of: "+"),
            plus != address.startIndex
        else { return nil }
        return String(address[..<plus]) + String(address[at...])
    }

    /// The addresses of `recipients` the policy refuses, in order.
    public func refused(_ recipients: [String], origin: Origin) -> [String] {
        recipients.filter { !permits($0, origin: origin) }
    }

    /// Whether `pattern` matches the whole of `address`, without regard to case.
    static func matches(_ pattern: String, _ address: String) -> Bool {
        AddressPattern(pattern).matches(address)
    }
}

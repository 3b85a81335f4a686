/// Which recipients a relay may send to. Safety first: with no `allow` patterns a relay takes only the
/// recipients a person names in a release, never automatic ones; a `deny` pattern always wins.
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
        if deny.contains(where: { Self.matches($0, address) }) { return false }
        if allow.isEmpty { return origin == .explicit }
        return allow.contains { Self.matches($0, address) }
    }

    /// The addresses of `recipients` the policy refuses, in order.
    public func refused(_ recipients: [String], origin: Origin) -> [String] {
        recipients.filter { !permits($0, origin: origin) }
    }

    /// Wildcard matching with one backtrack point: linear in practice, never exponential.
    static func matches(_ pattern: String, _ address: String) -> Bool {
        let pattern = Array(pattern.lowercased())
        let text = Array(address.lowercased())
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

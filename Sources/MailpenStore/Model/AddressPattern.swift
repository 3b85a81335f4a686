/// A pattern for whole addresses: `*` matches any run of characters, `?` any one character, everything else
/// itself, without regard to case (`*@shop.example`). One matcher for every place that names recipients by
/// pattern: an inbox's routes for unauthenticated mail, chaos rules, a relay's recipient policy.
package struct AddressPattern: Sendable, Hashable {
    let pattern: String
    private let characters: [Character]

    package init(_ pattern: String) {
        self.pattern = pattern
        characters = Array(pattern.lowercased())
    }

    package func matches(_ address: String) -> Bool {
        matches(lowercased: Array(address.lowercased()))
    }

    /// Whether the pattern matches an address already lower-cased and split into characters, so that a
    /// message's recipients are prepared once for every route they are tried against.
    package func matches(lowercased text: [Character]) -> Bool {
        // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < characters.count && (characters[p] == "?" || characters[p] == text[t]) {
                p += 1
                t += 1
            } else if p < characters.count && characters[p] == "*" {
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
        while p < characters.count && characters[p] == "*" { p += 1 }
        return p == characters.count
    }
}

/// Which sessions a rule applies to, by envelope address: the `from:`, `to:` and `rcpt:` terms of the
/// search grammar. Every term must hold; a term holds when its address field contains its value (without
/// regard to case), or, negated, when it does not.
public struct ChaosMatch: Sendable, Hashable {
    /// One term: `from:` looks at MAIL FROM, `to:` and `rcpt:` at the RCPT TO addresses.
    public struct Term: Sendable, Hashable {
        public enum Field: String, Sendable, Hashable {
            case from, recipient
        }
        public var field: Field
        /// Lower-cased, as the search grammar folds values.
        public var value: String
        public var isNegated: Bool

        public init(field: Field, value: String, isNegated: Bool = false) {
            self.field = field
            self.value = value.lowercased()
            self.isNegated = isNegated
        }
    }

    /// The text as the client gave it, shown back by the API.
    public var text: String
    public var terms: [Term]

    public init(text: String, terms: [Term]) {
        self.text = text
        self.terms = terms
    }

    /// Whether `envelope` satisfies every term, with what it remembers of earlier stages. An address not
    /// known yet (no MAIL FROM, no recipient) contains nothing.
    public func matches(_ envelope: inout ChaosEnvelope) -> Bool {
        for term in terms {
            let found: Bool
            switch term.field {
            case .from:
                found = envelope.mailFrom?.contains(term.value) ?? false
            case .recipient:
                found = envelope.recipientsContain(term.value)
            }
            if found == term.isNegated { return false }
        }
        return true
    }
}

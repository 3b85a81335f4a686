import MailpenChaos

extension ChaosMatch {
    /// Parses a rule's `match` with the search grammar, which must use only `from:`, `to:` and `rcpt:`
    /// terms (negated or not): the SMTP envelope has nothing else. `to:` means the envelope recipients here.
    public init(parsing text: String) throws(ChaosRuleError) {
        // The stores end text at a NUL: a match kept shorter would apply to other sessions than asked.
        guard !StoredText.hasControlCharacter(text) else {
            throw ChaosRuleError("match has no control characters")
        }
        let query: SearchQuery
        do {
            query = try SearchQuery(parsing: text)
        } catch {
            throw ChaosRuleError("match: \(error)")
        }
        guard query.terms.count <= Self.maximumTerms else {
            throw ChaosRuleError("match has at most \(Self.maximumTerms) terms")
        }
        var terms: [Term] = []
        for term in query.terms {
            switch term.condition {
            case .address(.from, let value):
                terms.append(Term(field: .from, value: value, isNegated: term.isNegated))
            case .address(.to, let value), .address(.recipient, let value):
                terms.append(Term(field: .recipient, value: value, isNegated: term.isNegated))
            default:
                throw ChaosRuleError(
                    "match takes only from:, to: and rcpt: terms (the SMTP envelope), as in \"from:@shop.example\"")
            }
        }
        self.init(text: text, terms: terms)
    }

    /// Terms in one match at most: every one is checked at every stage of every session it applies to.
    public static let maximumTerms = 16
}

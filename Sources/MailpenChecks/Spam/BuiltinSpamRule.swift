import MailpenMIME

/// One rule of the built-in engine: a name, a score and a predicate over the message.
///
/// Names and scores follow SpamAssassin 4 (score set 1: network tests, no Bayes) where
/// SpamAssassin has the rule; rules Mailpen adds say so in their description.
struct BuiltinSpamRule: Sendable {
    let name: String
    let score: Double
    let description: String
    let test: @Sendable (SpamInput) -> Bool

    init(_ name: String, _ score: Double, _ description: String, test: @escaping @Sendable (SpamInput) -> Bool) {
        self.name = name
        self.score = score
        self.description = description
        self.test = test
    }
}

/// The built-in rule set and its evaluation.
enum BuiltinSpamRules {
    static let threshold = 5.0

    static let all: [BuiltinSpamRule] = headerRules + dateRules + bodyRules + htmlRules + uriRules

    /// Scores `context` with every rule.
    static func report(_ context: CheckContext) -> SpamReport {
        let input = SpamInput(context)
        var fired: [SpamRule] = []
        for rule in self.all where rule.test(input) {
            fired.append(SpamRule(name: rule.name, score: rule.score, description: rule.description))
        }
        fired.sort { $0.score != $1.score ? $0.score > $1.score : $0.name < $1.name }
        let score = (fired.reduce(0) { $0 + $1.score } * 1000).rounded() / 1000
        return SpamReport(
            score: score,
            threshold: self.threshold,
            isSpam: score >= self.threshold,
            engine: "builtin",
            rules: fired
        )
    }
}

/// The chaos rules of one scope (one inbox, or the whole server), with the seed that makes their random
/// choices repeatable.
public struct ChaosRuleSet: Sendable, Hashable {
    /// The inbox the rules belong to; `nil` for the global rules, which apply to every session.
    public var inbox: String?
    /// Seeds the rules' random choices: the same sequence of sessions gets the same outcomes. `nil` draws
    /// from the system's generator.
    public var seed: UInt64?
    /// Tells one setting of the rules from the next, so that counters recorded for rules since replaced are
    /// dropped and a seeded sequence restarts whenever the rules are set. Assigned by the store.
    public var revision: Int64
    public var rules: [ChaosRule]

    public init(
        inbox: String?, seed: UInt64? = nil, revision: Int64 = 0, rules: [ChaosRule],
        limits: ChaosLimits = ChaosLimits()
    ) throws(ChaosRuleError) {
        guard rules.count <= limits.maximumRules else {
            throw ChaosRuleError("at most \(limits.maximumRules) rules, not \(rules.count)")
        }
        self.inbox = inbox
        self.seed = seed
        self.revision = revision
        self.rules = rules
    }

    /// The largest seed: seeds travel as JSON numbers and are stored as signed 64-bit integers.
    public static let largestSeed = UInt64(Int64.max)
}

/// Hits on one rule not yet recorded in the store: the rule is the one at `position` of the set `revision`.
public struct ChaosHits: Sendable, Hashable {
    public var revision: Int64
    public var position: Int
    public var count: Int

    public init(revision: Int64, position: Int, count: Int) {
        self.revision = revision
        self.position = position
        self.count = count
    }
}

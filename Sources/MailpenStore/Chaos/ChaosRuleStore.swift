import MailpenChaos
import MailpenSMTPCore

/// Where the chaos rules are kept: in the store, so that every node sharing a database applies the same
/// rules, and counters survive restarts. Small on purpose, so that every backend carries it:
///
/// - a rule set is replaced whole (``setChaosRules(_:)``), and gets a new revision each time;
/// - hits are added in batches (``recordChaosHits(_:)``); a rule whose `times` is reached is removed then;
/// - an inbox's rules go with the inbox.
public protocol ChaosRuleStore: Sendable {
    /// Every scope's rules: the global set (`inbox == nil`) and each inbox's, in no particular order.
    func chaosRuleSets() async throws -> [ChaosRuleSet]
    /// One scope's rules, or `nil` if none are set. Throws ``StoreError/inboxNotFound(_:)``.
    func chaosRules(inbox: String?) async throws -> ChaosRuleSet?
    /// Replaces a scope's rules (an empty list clears them) and returns them as stored, with their new
    /// revision and zeroed counters. Throws ``StoreError/inboxNotFound(_:)``.
    @discardableResult
    func setChaosRules(_ rules: ChaosRuleSet) async throws -> ChaosRuleSet
    /// Removes a scope's rules. Throws ``StoreError/inboxNotFound(_:)``.
    func clearChaosRules(inbox: String?) async throws
    /// Adds hits to the counters of the rules still stored with that revision, and removes the rules
    /// spent by them.
    func recordChaosHits(_ hits: [ChaosHits]) async throws
}

extension ChaosRuleSet {
    /// A fresh revision for a set being stored: random, so that nodes sharing a database never reuse one.
    package static func makeRevision() -> Int64 {
        Int64.random(in: 1...Int64.max)
    }
}

/// The columns of one stored rule, shared by the backends so that they write and read rules alike.
package struct ChaosRuleColumns: Sendable {
    /// What both backends select, in this order, to read rules back (joined with `inbox` for its name):
    /// scope, revision, position, seed, then the rule's columns and its hits.
    package static let selected = """
        inbox.name, chaos_rule.revision, chaos_rule.position, chaos_rule.seed, chaos_rule.stage, chaos_rule.reply,
        chaos_rule.probability, chaos_rule.times, chaos_rule.delay_ms, chaos_rule.disconnect, chaos_rule.match,
        chaos_rule.hits
        """

    package var stage: String
    package var reply: String?
    package var probability: Int
    package var times: Int?
    package var delayMilliseconds: Int
    package var disconnect: Bool
    package var match: String?

    package init(_ rule: ChaosRule) {
        stage = rule.stage.rawValue
        reply = rule.reply?.description
        probability = rule.probability
        times = rule.times
        delayMilliseconds = rule.delayMilliseconds
        disconnect = rule.disconnect
        match = rule.match?.text
    }

    /// A stored rule read back from its columns. Stored rules were checked when set; a row that no longer
    /// passes (edited by hand, or from a Mailpen with other limits) is an error rather than a rule applied
    /// half-way.
    package static func rule(
        stage name: String, reply: String?, probability: Int, times: Int?, delayMilliseconds: Int, disconnect: Bool,
        match: String?, position: Int, hits: Int
    ) throws(ChaosRuleError) -> ChaosRule {
        guard let stage = ChaosStage(rawValue: name) else {
            throw ChaosRuleError("stored chaos rule with unknown stage \(name)")
        }
        var rule = try ChaosRule(
            stage: stage, reply: try reply.map { text throws(ChaosRuleError) in try ChaosReply(parsing: text) },
            probability: probability, times: times, delayMilliseconds: delayMilliseconds, disconnect: disconnect,
            match: try match.map { text throws(ChaosRuleError) in try ChaosMatch(parsing: text) },
            hits: hits, limits: ChaosLimits(maximumDelayMilliseconds: Int.max, maximumRules: Int.max))
        rule.position = position
        return rule
    }
}

/// Gathers stored rules, read ordered by scope and position, into their rule sets: how every backend turns
/// its rows back into sets.
package struct ChaosRuleSetAssembler {
    package private(set) var sets: [ChaosRuleSet] = []

    package init() {}

    /// Adds the next rule read: to the set being gathered when it has the same revision, else as a new set.
    package mutating func add(_ rule: ChaosRule, inbox: String?, revision: Int64, seed: Int64?) throws {
        if let last = sets.indices.last, sets[last].revision == revision {
            sets[last].rules.append(rule)
        } else {
            sets.append(
                try ChaosRuleSet(
                    inbox: inbox, seed: seed.map { UInt64(bitPattern: $0) }, revision: revision, rules: [rule],
                    limits: ChaosLimits(maximumRules: Int.max)))
        }
    }
}

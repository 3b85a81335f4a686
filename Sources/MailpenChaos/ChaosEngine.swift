/// Decides, for each stage of each SMTP session, whether a chaos rule fires, and counts the hits.
///
/// A value with no I/O and no clock: the server keeps one behind a lock, loads it with the stored rule sets
/// and asks it at every stage. Rules of the session's inbox are tried before the global ones, each list in
/// order; the first that applies and wins its draw fires. Each rule set draws from its own generator,
/// seeded from the set's seed, so that the same sequence of sessions gets the same outcomes.
///
/// Hits are counted here at once, so `times` is exact on one server; they reach the store later
/// (``takeHitsToRecord()``), and a rule set loaded again keeps its generator and the hits still on their way.
public struct ChaosEngine: Sendable {
    private struct LoadedSet: Sendable {
        var set: ChaosRuleSet
        var random: SplitMix64?
        /// Hits not yet handed out for recording, by rule position.
        var pending: [Int: Int] = [:]
        /// Hits handed out for recording and not yet seen in a loaded set, by rule position.
        var recording: [Int: Int] = [:]

        init(_ set: ChaosRuleSet) {
            self.set = set
            random = set.seed.map(SplitMix64.init(seed:))
        }

        func hits(of rule: ChaosRule) -> Int {
            rule.hits + (pending[rule.position] ?? 0) + (recording[rule.position] ?? 0)
        }
    }

    private var global: LoadedSet?
    /// By lower-cased inbox name (inbox names are case-insensitive).
    private var inboxes: [String: LoadedSet] = [:]

    public init() {}

    /// Whether no rule is loaded: the server skips every check then.
    public var isEmpty: Bool { global == nil && inboxes.isEmpty }

    /// The inboxes that have rules, lower-cased.
    public var inboxesWithRules: Set<String> { Set(inboxes.keys) }

    /// Replaces the loaded rules with `sets` as the store has them. A set whose revision is already loaded
    /// keeps its generator's state; hits handed out for recording are taken to be in the loaded counts now.
    public mutating func load(_ sets: [ChaosRuleSet]) {
        var newGlobal: LoadedSet?
        var newInboxes: [String: LoadedSet] = [:]
        for set in sets where !set.rules.isEmpty {
            let key = set.inbox?.lowercased()
            var loaded = LoadedSet(set)
            let previous = key.map { inboxes[$0] } ?? global
            if let previous, previous.set.revision == set.revision {
                loaded.random = previous.random
                loaded.pending = previous.pending
            }
            if let key { newInboxes[key] = loaded } else { newGlobal = loaded }
        }
        global = newGlobal
        inboxes = newInboxes
    }

    /// The rule that fires for this stage of a session, if any, counted as a hit.
    public mutating func decide(_ facts: ChaosFacts) -> ChaosDecision? {
        var envelope = ChaosEnvelope(mailFrom: facts.mailFrom, recipients: facts.recipients)
        return decide(stage: facts.stage, inbox: facts.inbox, envelope: &envelope)
    }

    /// The rule that fires at `stage` of a session whose inbox (if known) and envelope are given, if any,
    /// counted as a hit. `envelope` keeps what its terms found for the session's next stages.
    public mutating func decide(stage: ChaosStage, inbox: String?, envelope: inout ChaosEnvelope) -> ChaosDecision? {
        if let inbox = inbox?.lowercased(), var loaded = inboxes[inbox] {
            let decision = Self.decide(stage, envelope: &envelope, in: &loaded)
            inboxes[inbox] = loaded
            if let decision { return decision }
        }
        guard var loaded = global else { return nil }
        let decision = Self.decide(stage, envelope: &envelope, in: &loaded)
        global = loaded
        return decision
    }

    private static func decide(
        _ stage: ChaosStage, envelope: inout ChaosEnvelope, in loaded: inout LoadedSet
    ) -> ChaosDecision? {
        for rule in loaded.set.rules where rule.stage == stage {
            if let times = rule.times, loaded.hits(of: rule) >= times { continue }
            if let match = rule.match, !match.matches(&envelope) {
                continue
            }
            guard fires(rule.probability, random: &loaded.random) else { continue }
            loaded.pending[rule.position, default: 0] += 1
            return ChaosDecision(
                stage: rule.stage, reply: rule.reply, delayMilliseconds: rule.delayMilliseconds,
                disconnect: rule.disconnect, inbox: loaded.set.inbox)
        }
        return nil
    }

    private static func fires(_ probability: Int, random: inout SplitMix64?) -> Bool {
        if probability >= 100 { return true }
        if probability <= 0 { return false }
        let draw: Int
        if random != nil {
            draw = random?.nextPercentile() ?? 0
        } else {
            draw = Int.random(in: 0..<100)
        }
        return draw < probability
    }

    /// The hits counted since the last call, to be added to the store's counters. Until the next ``load(_:)``
    /// they still count here, so a rule does not fire beyond its `times` meanwhile.
    public mutating func takeHitsToRecord() -> [ChaosHits] {
        var hits: [ChaosHits] = []
        func take(_ loaded: inout LoadedSet) {
            for (position, count) in loaded.pending.sorted(by: { $0.key < $1.key }) {
                hits.append(ChaosHits(revision: loaded.set.revision, position: position, count: count))
                loaded.recording[position, default: 0] += count
            }
            loaded.pending = [:]
        }
        if var loaded = global {
            take(&loaded)
            global = loaded
        }
        for key in inboxes.keys.sorted() {
            guard var loaded = inboxes[key] else { continue }
            take(&loaded)
            inboxes[key] = loaded
        }
        return hits
    }

    /// Recording `hits` failed: count them again with the next ones.
    public mutating func recordingFailed(_ hits: [ChaosHits]) {
        func putBack(_ loaded: inout LoadedSet) {
            for hit in hits where hit.revision == loaded.set.revision {
                loaded.recording[hit.position, default: 0] -= hit.count
                if loaded.recording[hit.position] ?? 0 <= 0 { loaded.recording[hit.position] = nil }
                loaded.pending[hit.position, default: 0] += hit.count
            }
        }
        if var loaded = global {
            putBack(&loaded)
            global = loaded
        }
        for key in Array(inboxes.keys) {
            guard var loaded = inboxes[key] else { continue }
            putBack(&loaded)
            inboxes[key] = loaded
        }
    }

    /// The loaded rule set of a scope with its hits counted so far (recorded or not), spent rules left out.
    public func ruleSet(inbox: String?) -> ChaosRuleSet? {
        guard let loaded = inbox.map({ inboxes[$0.lowercased()] }) ?? global else { return nil }
        var set = loaded.set
        set.rules = set.rules.compactMap { rule in
            var counted = rule
            counted.hits = loaded.hits(of: rule)
            return counted.isSpent ? nil : counted
        }
        return set
    }
}

/// What is known of a session at a stage, for the rules to decide on.
public struct ChaosFacts: Sendable, Hashable {
    public var stage: ChaosStage
    /// The session's inbox once known (from AUTH or the first routed recipient); only global rules apply
    /// before.
    public var inbox: String?
    public var mailFrom: String?
    /// The recipients so far (at `rcpt`, with the one being given).
    public var recipients: [String]

    public init(stage: ChaosStage, inbox: String? = nil, mailFrom: String? = nil, recipients: [String] = []) {
        self.stage = stage
        self.inbox = inbox
        self.mailFrom = mailFrom
        self.recipients = recipients
    }
}

/// What a rule that fired asks of the session.
public struct ChaosDecision: Sendable, Hashable {
    public var stage: ChaosStage
    /// The failure to answer with, or `nil` to answer normally.
    public var reply: ChaosReply?
    public var delayMilliseconds: Int
    public var disconnect: Bool
    /// The inbox whose rule fired; `nil` for a global rule.
    public var inbox: String?
}

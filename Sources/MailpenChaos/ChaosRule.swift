import MailpenSMTPCore

/// One way to misbehave at one stage of an SMTP session: answer with a failure, answer late, or hang up.
///
/// Values are checked when made, so a stored rule is always one the SMTP server can apply.
public struct ChaosRule: Sendable, Hashable {
    public var stage: ChaosStage
    /// The failure answered instead of the stage's normal reply; `nil` answers normally (after any delay).
    public var reply: ChaosReply?
    /// The chance, in percent, that the rule fires when it applies.
    public var probability: Int
    /// How many times the rule fires before it is removed; `nil` for ever.
    public var times: Int?
    /// How long the stage's answer is held back, in milliseconds.
    public var delayMilliseconds: Int
    /// Whether the connection is dropped at this stage (for `data` and `bdat`: half-way through the input).
    public var disconnect: Bool
    /// Which envelopes the rule applies to; `nil` for all.
    public var match: ChaosMatch?
    /// How many times the rule has fired.
    public var hits: Int
    /// The rule's place in the list it was set with; it keeps it when rules before it are spent and removed,
    /// so that hits are recorded on the right rule.
    public var position = 0

    public init(
        stage: ChaosStage, reply: ChaosReply? = nil, probability: Int = 100, times: Int? = nil,
        delayMilliseconds: Int = 0, disconnect: Bool = false, match: ChaosMatch? = nil, hits: Int = 0,
        limits: ChaosLimits = ChaosLimits()
    ) throws(ChaosRuleError) {
        guard (0...100).contains(probability) else {
            throw ChaosRuleError("probability must be from 0 to 100, not \(probability)")
        }
        if let times, !(1...limits.maximumTimes).contains(times) {
            throw ChaosRuleError("times must be from 1 to \(limits.maximumTimes), not \(times)")
        }
        guard (0...limits.maximumDelayMilliseconds).contains(delayMilliseconds) else {
            throw ChaosRuleError(
                "delayMs must be from 0 to \(limits.maximumDelayMilliseconds), not \(delayMilliseconds)")
        }
        if reply != nil && disconnect {
            throw ChaosRuleError("a rule either replies or disconnects, not both")
        }
        guard reply != nil || disconnect || delayMilliseconds > 0 else {
            throw ChaosRuleError("a rule needs a reply, a delayMs or disconnect: true")
        }
        if let match, !match.terms.isEmpty, !stage.knowsEnvelope {
            throw ChaosRuleError("match needs the envelope, which the \(stage.rawValue) stage does not have yet")
        }
        guard hits >= 0 else { throw ChaosRuleError("hits cannot be negative") }
        self.stage = stage
        self.reply = reply
        self.probability = probability
        self.times = times
        self.delayMilliseconds = delayMilliseconds
        self.disconnect = disconnect
        self.match = match
        self.hits = hits
    }

    /// Whether the rule has fired as many times as it may.
    public var isSpent: Bool {
        guard let times else { return false }
        return hits >= times
    }
}

/// The bounds a rule set must keep to. Explicit so that the API can state them and an operator can tighten
/// them; the defaults suit a test suite.
public struct ChaosLimits: Sendable, Hashable {
    /// The longest delay, so a mistyped value cannot hold a session (and its connection slot) for hours.
    public var maximumDelayMilliseconds: Int
    /// The most rules in one set: each is looked at for every command of every session.
    public var maximumRules: Int
    /// The largest `times`.
    public var maximumTimes: Int

    public init(maximumDelayMilliseconds: Int = 60_000, maximumRules: Int = 100, maximumTimes: Int = 1_000_000_000) {
        self.maximumDelayMilliseconds = maximumDelayMilliseconds
        self.maximumRules = maximumRules
        self.maximumTimes = maximumTimes
    }
}

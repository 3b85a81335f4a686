import Hummingbird
import MailpenChaos
import MailpenCompat
import MailpenSMTPCore
import MailpenStore

/// The body of `PUT …/chaos`: `{"seed": 42, "rules": [...]}`.
struct ChaosRequest: Decodable, Sendable {
    var seed: Int64?
    /// Left out: no rules (the scope's rules are removed).
    var rules: [ChaosRuleRequest]?

    enum CodingKeys: String, CodingKey {
        case seed, rules
    }

    /// Members it does not know are ignored here, unlike in the API's other bodies: `/api/v1/chaos` is also
    /// Mailpit's path, whose clients send bodies of their own and expect Mailpit's leniency. Within a rule,
    /// an unknown member is a 400.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seed = try container.decodeIfPresent(Int64.self, forKey: .seed)
        rules = try container.decodeIfPresent([ChaosRuleRequest].self, forKey: .rules)
    }

    /// One rule as sent; every field but `stage` may be left out.
    struct ChaosRuleRequest: Decodable, Sendable {
        var stage: String
        var reply: String?
        var probability: Int?
        var times: Int?
        var delayMs: Int?
        var disconnect: Bool?
        var match: String?

        enum CodingKeys: String, CodingKey {
            // `hits` is what GET shows beside a rule: taken and ignored, so that a client can send back
            // what it read with a change.
            case stage, reply, probability, times, delayMs, disconnect, match, hits
        }

        init(from decoder: any Decoder) throws {
            try UnknownKeys.reject(in: decoder, allowed: CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            stage = try container.decode(String.self, forKey: .stage)
            reply = try container.decodeIfPresent(String.self, forKey: .reply)
            probability = try container.decodeIfPresent(Int.self, forKey: .probability)
            times = try container.decodeIfPresent(Int.self, forKey: .times)
            delayMs = try container.decodeIfPresent(Int.self, forKey: .delayMs)
            disconnect = try container.decodeIfPresent(Bool.self, forKey: .disconnect)
            match = try container.decodeIfPresent(String.self, forKey: .match)
            if let hits = try container.decodeIfPresent(Int.self, forKey: .hits), hits < 0 {
                throw APIError.badRequest("hits is a count (and ignored here), not \(hits)")
            }
        }
    }

    /// The rule set this asks for, checked against `limits`; a bad rule is a 400 naming it.
    func ruleSet(inbox: String?, limits: ChaosLimits) throws -> ChaosRuleSet {
        if let seed, seed < 0 { throw APIError.badRequest("seed must be from 0 to \(Int64.max), not \(seed)") }
        var parsed: [ChaosRule] = []
        for (index, rule) in (rules ?? []).enumerated() {
            do {
                parsed.append(try rule.rule(limits: limits))
            } catch {
                throw APIError.badRequest(error.inRule(index).description)
            }
        }
        do {
            return try ChaosRuleSet(inbox: inbox, seed: seed.map { UInt64($0) }, rules: parsed, limits: limits)
        } catch {
            throw APIError.badRequest(error.description)
        }
    }
}

extension ChaosRequest.ChaosRuleRequest {
    func rule(limits: ChaosLimits) throws(ChaosRuleError) -> ChaosRule {
        guard let stage = ChaosStage(rawValue: stage) else {
            let names = ChaosStage.allCases.map(\.rawValue).joined(separator: ", ")
            throw ChaosRuleError("stage must be one of \(names), not '\(self.stage)'")
        }
        return try ChaosRule(
            stage: stage, reply: try reply.map { text throws(ChaosRuleError) in try ChaosReply(given: text) },
            probability: probability ?? 100, times: times, delayMilliseconds: delayMs ?? 0,
            disconnect: disconnect ?? false,
            match: try match.map { text throws(ChaosRuleError) in try ChaosMatch(parsing: text) }, limits: limits)
    }
}

/// A scope's chaos rules with their counters, as `GET …/chaos` shows them.
struct ChaosResource: ResponseEncodable, Sendable {
    @ExplicitNull var inbox: String?
    @ExplicitNull var seed: Int64?
    var rules: [ChaosRuleResource]
    /// Mailpit's view of the global rules (`Sender`, `Recipient`, `Authentication`), shown beside them when
    /// Mailpit's API is served on the same path.
    var mailpit: MailpitChaos.Triggers?

    enum CodingKeys: String, CodingKey {
        case inbox, seed, rules
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(_inbox, forKey: .inbox)
        try container.encode(_seed, forKey: .seed)
        try container.encode(rules, forKey: .rules)
        try mailpit?.encode(to: encoder)
    }

    init(_ set: ChaosRuleSet?, inbox: String?) {
        self.inbox = set?.inbox ?? inbox
        mailpit = nil
        seed = set?.seed.map { Int64(bitPattern: $0) }
        rules = set?.rules.map(ChaosRuleResource.init) ?? []
    }
}

/// One rule: every field, so that a client sees the defaults it left out.
struct ChaosRuleResource: Encodable, Sendable {
    var stage: String
    @ExplicitNull var reply: String?
    var probability: Int
    @ExplicitNull var times: Int?
    var delayMs: Int
    var disconnect: Bool
    @ExplicitNull var match: String?
    var hits: Int

    init(_ rule: ChaosRule) {
        stage = rule.stage.rawValue
        reply = rule.reply?.description
        probability = rule.probability
        times = rule.times
        delayMs = rule.delayMilliseconds
        disconnect = rule.disconnect
        match = rule.match?.text
        hits = rule.hits
    }
}

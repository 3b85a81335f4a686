import Foundation
import Hummingbird
import MailpenChaos
import MailpenSMTPCore
import MailpenStore

/// MailHog's chaos monkey "Jim" (`/api/v2/jim`) as Mailpen's global chaos rules: `AcceptChance` below 1
/// refuses that share of connections, `DisconnectChance` drops them before the greeting, and the three
/// `Reject…Chance` values refuse senders, recipients and AUTH with `550`. Chances (0 to 1) become
/// percentages. Jim's link-speed throttling has no counterpart and is reported as off.
enum MailHogJim {
    /// Jim's settings as MailHog shows and takes them.
    struct Settings: Codable, Sendable, Hashable {
        var disconnectChance: Double
        var acceptChance: Double
        var linkSpeedAffect: Double
        var linkSpeedMin: Double
        var linkSpeedMax: Double
        var rejectSenderChance: Double
        var rejectRecipientChance: Double
        var rejectAuthChance: Double

        enum CodingKeys: String, CodingKey {
            case disconnectChance = "DisconnectChance"
            case acceptChance = "AcceptChance"
            case linkSpeedAffect = "LinkSpeedAffect"
            case linkSpeedMin = "LinkSpeedMin"
            case linkSpeedMax = "LinkSpeedMax"
            case rejectSenderChance = "RejectSenderChance"
            case rejectRecipientChance = "RejectRecipientChance"
            case rejectAuthChance = "RejectAuthChance"
        }

        /// What MailHog invites Jim with when no settings are given.
        static let defaults = Settings(
            disconnectChance: 0.005, acceptChance: 0.99, linkSpeedAffect: 0.1, linkSpeedMin: 1024,
            linkSpeedMax: 10240, rejectSenderChance: 0.05, rejectRecipientChance: 0.05, rejectAuthChance: 0.05)

        /// `base` with the fields `body` gives; a body that is not a JSON object changes nothing, as in MailHog,
        /// which decodes over its current settings and ignores errors.
        static func decoding(_ bytes: [UInt8], over base: Settings) -> Settings {
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                return base
            }
            var settings = base
            func number(_ key: CodingKeys) -> Double? { (object[key.rawValue] as? NSNumber)?.doubleValue }
            if let value = number(.disconnectChance) { settings.disconnectChance = value }
            if let value = number(.acceptChance) { settings.acceptChance = value }
            if let value = number(.linkSpeedAffect) { settings.linkSpeedAffect = value }
            if let value = number(.linkSpeedMin) { settings.linkSpeedMin = value }
            if let value = number(.linkSpeedMax) { settings.linkSpeedMax = value }
            if let value = number(.rejectSenderChance) { settings.rejectSenderChance = value }
            if let value = number(.rejectRecipientChance) { settings.rejectRecipientChance = value }
            if let value = number(.rejectAuthChance) { settings.rejectAuthChance = value }
            return settings
        }
    }

    /// A chance from 0 to 1 as a whole percentage; out of range or not a number is refused.
    private static func percent(_ chance: Double) -> Int? {
        guard chance.isFinite, (0...1).contains(chance) else { return nil }
        return Int((chance * 100).rounded())
    }

    /// The global rules Jim's settings amount to; `nil` for a chance outside 0...1.
    static func ruleSet(_ settings: Settings) -> ChaosRuleSet? {
        guard let refuse = percent(1 - settings.acceptChance), let disconnect = percent(settings.disconnectChance),
            let sender = percent(settings.rejectSenderChance), let recipient = percent(settings.rejectRecipientChance),
            let auth = percent(settings.rejectAuthChance)
        else { return nil }
        var rules: [ChaosRule] = []
        func add(_ make: () throws -> ChaosRule) {
            if let rule = try? make() { rules.append(rule) }
        }
        // A rule at probability 0 is kept: it records the setting, so that Jim reads back as it was set.
        add {
            try ChaosRule(
                stage: .connect, reply: ChaosReply(parsing: "421 4.3.2 Jim refused the connection"), probability: refuse
            )
        }
        add { try ChaosRule(stage: .connect, probability: disconnect, disconnect: true) }
        add {
            try ChaosRule(
                stage: .mail, reply: ChaosReply(parsing: "550 5.7.1 Jim rejected the sender"), probability: sender)
        }
        add {
            try ChaosRule(
                stage: .rcpt, reply: ChaosReply(parsing: "550 5.1.1 Jim rejected the recipient"), probability: recipient
            )
        }
        add {
            try ChaosRule(
                stage: .auth, reply: ChaosReply(parsing: "550 5.7.8 Jim rejected the authentication"), probability: auth
            )
        }
        return try? ChaosRuleSet(inbox: nil, rules: rules)
    }

    /// Jim's settings as the global rules stand, or `nil` when there are none (Jim is not around).
    static func settings(of rules: ChaosRuleSet?) -> Settings? {
        guard let rules, !rules.rules.isEmpty else { return nil }
        func chance(_ stage: ChaosStage, disconnect: Bool = false) -> Double {
            let rule = rules.rules.first {
                $0.stage == stage && $0.disconnect == disconnect && ($0.reply != nil || disconnect)
            }
            return Double(rule?.probability ?? 0) / 100
        }
        return Settings(
            disconnectChance: chance(.connect, disconnect: true), acceptChance: 1 - chance(.connect),
            linkSpeedAffect: 0, linkSpeedMin: Settings.defaults.linkSpeedMin,
            linkSpeedMax: Settings.defaults.linkSpeedMax,
            rejectSenderChance: chance(.mail), rejectRecipientChance: chance(.rcpt), rejectAuthChance: chance(.auth))
    }
}

extension MailHogAPI {
    /// `GET`, `POST`, `PUT` and `DELETE /api/v2/jim` over the global chaos rules, or, without them, as a
    /// MailHog whose Jim cannot be invited.
    func registerJim(on router: Router<Context>) {
        guard let chaos = dependencies.chaos else {
            router.get("api/v2/jim") { _, _ in Response(status: .notFound) }
            router.post("api/v2/jim") { _, _ in Response(status: .notFound) }
            router.put("api/v2/jim") { _, _ in Response(status: .notFound) }
            router.delete("api/v2/jim") { _, _ in Response(status: .ok) }
            return
        }
        router.get("api/v2/jim") { _, _ in
            guard let settings = MailHogJim.settings(of: try await chaos.rules(inbox: nil)) else {
                return Response(status: .notFound)
            }
            return CompatJSON.response(settings)
        }
        router.post("api/v2/jim") { request, context in
            if let refusal = Self.refusal(context) { return refusal }
            let current = MailHogJim.settings(of: try await chaos.rules(inbox: nil))
            if current != nil { return Response(status: .badRequest) }
            return try await Self.invite(chaos, body: try await request.bodyBytes(), over: .defaults, status: .created)
        }
        router.put("api/v2/jim") { request, context in
            if let refusal = Self.refusal(context) { return refusal }
            guard let current = MailHogJim.settings(of: try await chaos.rules(inbox: nil)) else {
                return Response(status: .notFound)
            }
            return try await Self.invite(chaos, body: try await request.bodyBytes(), over: current, status: .ok)
        }
        // 200 whether or not Jim was around: cypress-mailhog turns Jim off with this DELETE and fails on an error.
        router.delete("api/v2/jim") { _, context in
            if let refusal = Self.refusal(context) { return refusal }
            try await chaos.clear(inbox: nil)
            return Response(status: .ok)
        }
    }

    /// Jim's rules fail every inbox's SMTP sessions: an inbox credential may read them, not change them.
    private static func refusal(_ context: Context) -> Response? {
        context.inboxAccess.refusalReason.map { PlainText.response(.forbidden, $0) }
    }

    private static func invite(
        _ chaos: ChaosRules, body: [UInt8], over base: MailHogJim.Settings, status: HTTPResponse.Status
    ) async throws -> Response {
        guard let rules = MailHogJim.ruleSet(MailHogJim.Settings.decoding(body, over: base)) else {
            return Response(status: .badRequest)
        }
        try await chaos.set(rules)
        return Response(status: status)
    }
}

import Foundation
import MailpenChaos
import MailpenSMTPCore

/// Mailpit's chaos triggers as Mailpen's global chaos rules: `Sender` is a rule at `mail`, `Recipient` at
/// `rcpt`, `Authentication` at `auth`, each answering its `ErrorCode` with its `Probability`. A trigger left
/// out (or at probability 0) is off, as in Mailpit.
public enum MailpitChaos {
    /// One trigger as Mailpit shows it.
    public struct Trigger: Codable, Sendable, Hashable {
        public var errorCode: Int
        public var probability: Int

        enum CodingKeys: String, CodingKey {
            case errorCode = "ErrorCode"
            case probability = "Probability"
        }

        /// Mailpit's trigger when it is off.
        static let off = Trigger(errorCode: 451, probability: 0)
    }

    /// Mailpit's `GET /api/v1/chaos` body.
    public struct Triggers: Codable, Sendable, Hashable {
        public var authentication: Trigger
        public var recipient: Trigger
        public var sender: Trigger

        enum CodingKeys: String, CodingKey {
            case authentication = "Authentication"
            case recipient = "Recipient"
            case sender = "Sender"
        }
    }

    private static let stages: [(name: String, stage: ChaosStage)] = [
        ("Sender", .mail), ("Recipient", .rcpt), ("Authentication", .auth),
    ]

    /// Whether a body is Mailpit's trigger set: an empty object (Mailpit's reset), or one with any of Mailpit's
    /// trigger names, whose other members Mailpit ignores (a client may send back what `GET` showed, Mailpen's
    /// own members included, with one trigger changed).
    public static func isTriggerBody(_ bytes: [UInt8]) -> Bool {
        guard let object = try? LenientJSONObject(bytes) else { return false }
        let names: Set<String> = ["authentication", "recipient", "sender"]
        return object.fields.isEmpty || object.fields.keys.contains { names.contains($0.lowercased()) }
    }

    /// The global rules a trigger set asks for; throws with Mailpit's kind of message for a bad one.
    public static func ruleSet(fromBody bytes: [UInt8]) throws(ChaosRuleError) -> ChaosRuleSet {
        let object: LenientJSONObject
        do {
            object = try LenientJSONObject(bytes)
        } catch let error as LenientJSONObject.Invalid {
            throw ChaosRuleError(error.message)
        } catch {
            throw ChaosRuleError("\(error)")
        }
        var rules: [ChaosRule] = []
        for (name, stage) in stages {
            guard
                let entry = object.fields.first(where: { $0.key.caseInsensitiveCompare(name) == .orderedSame })?.value,
                !(entry is NSNull)
            else { continue }
            guard let trigger = entry as? [String: Any] else { throw ChaosRuleError("\(name): not an object") }
            let code = try Self.whole(trigger, "ErrorCode", in: 400...599, default: 451, name: "error code")
            let probability = try Self.whole(trigger, "Probability", in: 0...100, default: 0, name: "probability")
            if probability == 0 { continue }
            rules.append(
                try ChaosRule(
                    stage: stage, reply: ChaosReply(parsing: "\(code) Chaos error"), probability: probability))
        }
        return try ChaosRuleSet(inbox: nil, rules: rules)
    }

    /// A trigger's whole number within `range`; a fraction or a number past `Int` is refused, not rounded or
    /// wrapped into the range.
    private static func whole(
        _ trigger: [String: Any], _ key: String, in range: ClosedRange<Int>, default: Int, name: String
    ) throws(ChaosRuleError) -> Int {
        guard let value = trigger.first(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame })?.value,
            let number = value as? NSNumber
        else { return `default` }
        guard let whole = Int(exactly: number.doubleValue), range.contains(whole) else {
            throw ChaosRuleError(
                "Invalid \(name) (\(number)), must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return whole
    }

    /// The triggers the global rules amount to: the first reply rule of each stage, or off.
    public static func triggers(of rules: ChaosRuleSet?) -> Triggers {
        func trigger(_ stage: ChaosStage) -> Trigger {
            guard let rule = rules?.rules.first(where: { $0.stage == stage && $0.reply != nil }),
                let reply = rule.reply
            else { return .off }
            return Trigger(errorCode: reply.code, probability: rule.probability)
        }
        return Triggers(authentication: trigger(.auth), recipient: trigger(.rcpt), sender: trigger(.mail))
    }
}

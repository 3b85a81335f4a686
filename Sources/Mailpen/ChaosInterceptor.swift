import MailpenChaos
import MailpenHTTP
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import NIOCore

/// Applies the stored chaos rules to SMTP sessions: turns each stage the session stops at into the facts
/// the rules look at, and the rule that fires into the SMTP server's verdict and delay.
struct ChaosInterceptor: SMTPStageInterceptor {
    let rules: ChaosRules
    let metrics: MailpenMetrics

    /// One atomic load: with no rules, a connection makes no session and a stage costs no more.
    var isActive: Bool { rules.hasRules }

    func makeSession() -> any SMTPStageSession {
        ChaosStageSession(rules: rules, metrics: metrics)
    }
}

/// The chaos rules applied to one session, with its envelope kept from stage to stage: each recipient is
/// read by the rules once, not again at every later stage.
private final class ChaosStageSession: SMTPStageSession {
    private let rules: ChaosRules
    private let metrics: MailpenMetrics
    private var envelope = ChaosEnvelope()

    init(rules: ChaosRules, metrics: MailpenMetrics) {
        self.rules = rules
        self.metrics = metrics
    }

    func decide(_ check: SMTPStageCheck) -> SMTPStageDecision {
        // The common case, no rules at all, costs one atomic load.
        guard rules.hasRules else { return .proceed }
        let stage = check.stage
        let facts = ChaosFacts(
            stage: stage, inbox: check.username, mailFrom: check.mailFrom, recipients: check.recipients)
        guard let decision = rules.decide(facts, envelope: &envelope) else { return .proceed }
        metrics.chaosHit(stage: stage.rawValue)
        let verdict: SMTPStageVerdict
        if decision.disconnect {
            verdict = .disconnect
        } else if let reply = decision.reply {
            verdict = .refuse(
                SMTPReply(code: reply.code, enhancedCode: reply.enhancedCode, lines: [reply.text]))
        } else {
            verdict = .proceed
        }
        // The whole message was received: refusing it now is a rejected message, as a failing store's is.
        if stage == .message, verdict != .proceed { metrics.messageRejected() }
        return SMTPStageDecision(verdict: verdict, delay: .milliseconds(Int64(decision.delayMilliseconds)))
    }
}

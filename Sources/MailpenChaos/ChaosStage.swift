import MailpenSMTPCore

/// The points of an SMTP session where a chaos rule can interfere: the SMTP core's own stages, under the
/// names the API gives them (`connect`, `ehlo`, `auth`, `mail`, `rcpt`, `data`, `bdat`, `message`).
public typealias ChaosStage = SMTPStage

extension SMTPStage: Codable {
    /// Whether the envelope exists at this stage, so that a rule's `match` can be checked.
    public var knowsEnvelope: Bool {
        switch self {
        case .connect, .ehlo, .auth: return false
        case .mail, .rcpt, .data, .bdat, .message: return true
        }
    }
}

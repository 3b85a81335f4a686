import MailpenSMTPCore

/// Decides whether AUTH credentials are accepted. Mailpen's server wires this to its inbox policy.
public protocol SMTPAuthenticator: Sendable {
    /// Returns whether the client may use `credentials`.
    func authenticate(_ credentials: SMTPCredentials) async -> Bool
}

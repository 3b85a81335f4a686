/// The points of an SMTP session where a chaos rule can interfere, named as the API names them.
public enum ChaosStage: String, Sendable, Hashable, Codable, CaseIterable {
    /// The connection opened, before the greeting (only global rules: no inbox is known yet).
    case connect
    /// HELO or EHLO.
    case ehlo
    /// AUTH, once the client has given its username.
    case auth
    /// MAIL FROM.
    case mail
    /// Each RCPT TO.
    case rcpt
    /// The DATA command (a disconnect here drops the connection half-way through the message).
    case data
    /// Each BDAT chunk (a disconnect drops the connection half-way through the chunk).
    case bdat
    /// The end of the message, before it is stored.
    case message

    /// Whether the envelope exists at this stage, so that a rule's `match` can be checked.
    public var knowsEnvelope: Bool {
        switch self {
        case .connect, .ehlo, .auth: return false
        case .mail, .rcpt, .data, .bdat, .message: return true
        }
    }
}

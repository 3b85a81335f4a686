/// Credentials a client presented with AUTH, in the form the mechanism delivers them.
///
/// PLAIN and LOGIN reveal the password; CRAM-MD5 only proves knowledge of it, so checking it needs the
/// stored password (`isValid(forPassword:)` in MailpenSMTP, which has the HMAC).
public enum SMTPCredentials: Sendable, Hashable {
    /// From AUTH PLAIN or AUTH LOGIN.
    case password(username: String, password: String)
    /// From AUTH CRAM-MD5 (RFC 2195): the challenge the server sent and the hex HMAC-MD5 the client returned.
    case challengeResponse(username: String, challenge: String, digest: String)

    /// The username (authentication identity).
    public var username: String {
        switch self {
        case .password(let username, _), .challengeResponse(let username, _, _):
            return username
        }
    }

    /// The name of the SASL mechanism that produced these credentials.
    public var mechanism: String {
        switch self {
        case .password: return "PLAIN/LOGIN"
        case .challengeResponse: return "CRAM-MD5"
        }
    }
}

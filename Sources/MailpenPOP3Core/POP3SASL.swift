import MailpenSASL

/// The SASL PLAIN mechanism (RFC 4616) as POP3's AUTH command carries it (RFC 5034): a base64 message of
/// `authzid NUL authcid NUL password`.
enum POP3SASL {
    /// Decodes a PLAIN response line: nil when it is not base64 or not three UTF-8 fields with a user name.
    static func decodePlain(_ text: String) -> POP3Credentials? {
        guard let response = SASLPlainResponse(base64: text) else { return nil }
        return POP3Credentials(
            username: response.username, password: response.password,
            authorizationIdentity: response.authorizationIdentity)
    }
}

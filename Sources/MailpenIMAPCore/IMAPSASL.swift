import MailpenSASL

/// The SASL PLAIN mechanism (RFC 4616) as AUTHENTICATE carries it: base64 of
/// `authzid NUL authcid NUL password`.
enum IMAPSASL {
    /// Decodes a PLAIN response: nil when it is not base64 or not three UTF-8 fields with a user name.
    static func decodePlain(_ text: String) -> IMAPCredentials? {
        guard let response = SASLPlainResponse(base64: text) else { return nil }
        return IMAPCredentials(
            username: response.username, password: response.password,
            authorizationIdentity: response.authorizationIdentity)
    }
}

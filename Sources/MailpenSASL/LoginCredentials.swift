/// What a mail-access client presented to log in (POP3 USER/PASS, IMAP LOGIN, or SASL PLAIN in either),
/// for the caller to check against the store. One type, so both protocols check logins the same way.
public struct LoginCredentials: Sendable, Hashable {
    /// The authentication identity (USER's or LOGIN's argument, or PLAIN's authcid).
    public var username: String
    public var password: String
    /// PLAIN's authorization identity when the client sent one that is not empty.
    public var authorizationIdentity: String?

    public init(username: String, password: String, authorizationIdentity: String? = nil) {
        self.username = username
        self.password = password
        self.authorizationIdentity = authorizationIdentity
    }
}

/// Facts about a mail-access connection that decide whether a password may be sent over it.
public struct LoginConnection: Sendable, Hashable {
    /// The client connected from a loopback address.
    public var isLoopback: Bool
    /// TLS is on (an implicit-TLS port, or after STARTTLS / STLS).
    public var isTLS: Bool

    public init(isLoopback: Bool, isTLS: Bool = false) {
        self.isLoopback = isLoopback
        self.isTLS = isTLS
    }
}

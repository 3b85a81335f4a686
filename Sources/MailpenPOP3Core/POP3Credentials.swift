/// What a POP3 client presented to log in, from USER/PASS or AUTH PLAIN, for the caller to check.
public struct POP3Credentials: Sendable, Hashable {
    /// The authentication identity (the USER argument or PLAIN's authcid).
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

/// How the connection to a relay is secured.
public enum SMTPClientTLSMode: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP, then STARTTLS (RFC 3207) before anything else; a server that does not offer it fails the attempt.
    case startTLS = "starttls"
    /// TLS from the first byte (RFC 8314, "submissions", usually port 465).
    case implicit
    /// No TLS at all, for local test servers.
    case none
}

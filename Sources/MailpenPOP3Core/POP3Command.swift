/// A POP3 command as the client sent it (RFC 1939, RFC 2449, RFC 2595, RFC 5034), already parsed.
public enum POP3Command: Sendable, Hashable {
    case user(String)
    /// PASS takes the rest of the line, so a password may hold spaces.
    case pass(String)
    /// AUTH with no mechanism asks for the list of mechanisms.
    case authenticate(mechanism: String?, initialResponse: String?)
    case capabilities
    case startTLS
    case status
    case list(Int?)
    case retrieve(Int)
    case top(Int, lines: Int)
    case uniqueIDList(Int?)
    case delete(Int)
    case reset
    case noop
    case quit
    case apop
}

/// Why a command line was refused, with the `-ERR` text that says so.
public struct POP3CommandError: Error, Sendable, Hashable {
    public var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}

/// How long the client waits at each step before it gives up on a server, RFC 5321 §4.5.3.2's values by
/// default. A stalled server costs a delivery attempt its timeout, never a hung worker.
public struct SMTPClientTimeouts: Sendable, Hashable {
    /// Establishing the TCP connection.
    public var connect: Duration = .seconds(30)
    /// The 220 greeting (RFC 5321: 5 minutes). With implicit TLS this includes the handshake.
    public var greeting: Duration = .minutes(5)
    /// Replies to EHLO, HELO, STARTTLS, AUTH and RSET, and the TLS handshake after STARTTLS.
    public var command: Duration = .minutes(5)
    /// The reply to MAIL FROM (RFC 5321: 5 minutes).
    public var mail: Duration = .minutes(5)
    /// The reply to each RCPT TO (RFC 5321: 5 minutes).
    public var recipient: Duration = .minutes(5)
    /// The 354 reply to DATA (RFC 5321: 2 minutes).
    public var dataInitiation: Duration = .minutes(2)
    /// Each block of message data handed to the network (RFC 5321: 3 minutes).
    public var dataBlock: Duration = .minutes(3)
    /// The reply after the final dot (RFC 5321: 10 minutes).
    public var dataTermination: Duration = .minutes(10)
    /// The reply to QUIT; the outcome is known by then, so this is short.
    public var quit: Duration = .seconds(30)
    /// The attempt up to the 354 reply to DATA, from connecting. The steps' own limits add up to hours for a
    /// server that answers each just in time; this bounds how long one attempt holds a sender's slot. The
    /// message data and the final reply then have their own limits only.
    public var attempt: Duration = .minutes(10)

    public init() {}

    /// The same limit for every step, for tests and impatient tools (the whole attempt keeps its own).
    public static func uniform(_ limit: Duration) -> SMTPClientTimeouts {
        var timeouts = SMTPClientTimeouts()
        timeouts.connect = limit
        timeouts.greeting = limit
        timeouts.command = limit
        timeouts.mail = limit
        timeouts.recipient = limit
        timeouts.dataInitiation = limit
        timeouts.dataBlock = limit
        timeouts.dataTermination = limit
        timeouts.quit = limit
        return timeouts
    }
}

extension Duration {
    static func minutes(_ count: Int64) -> Duration { .seconds(count * 60) }
}

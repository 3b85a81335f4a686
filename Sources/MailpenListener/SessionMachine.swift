/// A mail protocol's session state machine (SMTP, POP3, IMAP) as ``MailSessionHandler`` drives it: the
/// events every protocol's connection has, each answered with the machine's next action. The servers
/// declare their pure machines' conformance.
public protocol SessionMachine: SendableMetatype {
    /// What the machine asks its handler to do.
    associatedtype Action

    /// The client sent nothing for the idle timeout.
    mutating func idleTimeoutExpired() -> Action

    /// The server is shutting down.
    mutating func shutdownRequested() -> Action

    /// The TLS handshake the machine asked for completed; `version` names the protocol version.
    mutating func tlsEstablished(version: String) -> Action
}

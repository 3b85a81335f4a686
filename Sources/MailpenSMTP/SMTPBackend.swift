import MailpenSMTPCore
import NIOCore

// The seam between the SMTP server and the application that hosts it: everything ``SMTPServer`` needs from
// its host is one of the three protocols in this file. The server owns the protocol (framing, replies,
// limits, TLS); the host decides what happens to a message, who may authenticate, and what to count.
//
// All three are called on the session's event loop, and the two that answer do so with an
// `EventLoopFuture` rather than `async`: delivery runs once per message, and a host that needs no Swift
// concurrency to take a message (Mailpen's store parses and queues it on the calling thread) then costs
// no task and no thread hops per message. Measured with smtp-source (8 sessions reusing connections, 2 KiB
// messages) against `mailpen serve --db :memory:`, an `async` delivery, which the server must start a
// task for and whose message is then parsed on Swift's cooperative pool, took about 15% more server CPU
// per message. A host that does need `async` wraps it itself (`eventLoop.makeFutureWithTask`), as
// Mailpen's authentication does.

/// Takes each finished transaction (the envelope and the dot-unstuffed message). The server sends the
/// reply this answers with, so the final `250` goes out only once the host has durably taken the message.
public protocol SMTPDeliveryHandler: Sendable {
    /// Called on the session's event loop; answer with ``SMTPDeliveryResult/accepted(id:)``, or
    /// ``SMTPDeliveryResult/rejected(_:)`` with a reply from the catalog (`SMTPReply.storageFailure`,
    /// `SMTPReply.inboxDoesNotExist(_:)`). A failed future is answered with `SMTPReply.storageFailure`.
    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult>
}

/// Decides whether the credentials a client presented with AUTH are accepted.
public protocol SMTPAuthenticator: Sendable {
    /// Called on the session's event loop; answer `true` to accept. A refusal is answered with
    /// `SMTPReply.authenticationFailed`; a failed future (the credentials could not be checked, say the store
    /// is unreachable) with the temporary `SMTPReply.authenticationUnavailable`.
    func authenticate(_ credentials: SMTPCredentials, on eventLoop: any EventLoop) -> EventLoopFuture<Bool>
}

/// Watches sessions for metrics, without the SMTP layer depending on a metrics library.
///
/// Called on the session's event loop for every session and reply: it must return at once.
public protocol SMTPSessionObserver: Sendable {
    /// A connection opened (whether or not it is over the connection limit).
    func sessionOpened()
    /// A connection closed.
    func sessionClosed()
    /// A reply with `code` was sent.
    func replied(code: Int)
}

/// Decides whether to interfere with a session at a stage: refuse, delay or hang up, as a failing mail
/// server would (chaos testing). Without one, the server never stops to ask.
public protocol SMTPStageInterceptor: Sendable {
    /// Whether it may interfere at all now: while not, the server asks no session of it (and makes none).
    var isActive: Bool { get }
    /// A decider for one connection's session, which may keep what it worked out at earlier stages (a
    /// session's stages see its envelope grow one recipient at a time).
    func makeSession() -> any SMTPStageSession
}

/// One connection's ``SMTPStageInterceptor``. Called on the connection's event loop at every stage,
/// synchronously: it must answer at once from memory (the server applies any delay itself, on the event
/// loop, without blocking it).
public protocol SMTPStageSession: AnyObject {
    func decide(_ check: SMTPStageCheck) -> SMTPStageDecision
}

/// What an ``SMTPStageInterceptor`` decided: the verdict, applied after `delay`.
public struct SMTPStageDecision: Sendable, Hashable {
    public var verdict: SMTPStageVerdict
    public var delay: TimeAmount

    public init(verdict: SMTPStageVerdict = .proceed, delay: TimeAmount = .zero) {
        self.verdict = verdict
        self.delay = delay
    }

    /// Go on at once.
    public static let proceed = SMTPStageDecision()
}

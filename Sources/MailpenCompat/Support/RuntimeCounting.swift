/// What the server has counted since it started, for the runtime statistics of Mailpit's info route.
/// Mailpen's metrics keep these counts (``RuntimeCounting``), so the route reports the same numbers as
/// `/metrics` rather than counting a second time.
public struct RuntimeCounts: Sendable, Equatable {
    /// Messages received over SMTP and stored.
    public var smtpAccepted: Int
    /// Their total size in bytes.
    public var smtpAcceptedBytes: Int
    /// Messages whose data was received over SMTP and then refused.
    public var smtpRejected: Int
    /// Messages deleted, by any client or by retention.
    public var messagesDeleted: Int

    public init(smtpAccepted: Int = 0, smtpAcceptedBytes: Int = 0, smtpRejected: Int = 0, messagesDeleted: Int = 0) {
        self.smtpAccepted = smtpAccepted
        self.smtpAcceptedBytes = smtpAcceptedBytes
        self.smtpRejected = smtpRejected
        self.messagesDeleted = messagesDeleted
    }
}

/// A source of ``RuntimeCounts``, read at every request of Mailpit's info route.
public protocol RuntimeCounting: Sendable {
    func runtimeCounts() -> RuntimeCounts
}

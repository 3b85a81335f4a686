extension SMTPSessionStateMachine {
    /// Settings that shape the session's replies and limits: one value per server listener, shared by all
    /// its sessions.
    public struct Configuration: Sendable {
        /// The name in the greeting and EHLO reply.
        public var hostname: String
        /// Largest accepted message in octets (advertised with SIZE).
        public var maximumMessageSize: Int
        /// Most recipients per transaction.
        public var maximumRecipients: Int
        /// Failed commands after which the connection is closed with `421 4.7.0`.
        public var maximumErrors: Int
        /// Whether STARTTLS is offered (a certificate is configured and TLS is not on yet).
        public var offersStartTLS: Bool
        /// Where the captured mail can be read (the web UI), named in the HELP reply; `nil` names none.
        public var helpURL: String?
        /// Whether the machine stops at every ``SMTPStage`` with ``Action/consult(_:)`` so that its driver can
        /// interfere (chaos testing). Off, the machine never asks.
        public var consultsAtStages: Bool

        public init(
            hostname: String = "localhost",
            maximumMessageSize: Int = 50 * 1024 * 1024,
            maximumRecipients: Int = 1000,
            maximumErrors: Int = 20,
            offersStartTLS: Bool = false,
            helpURL: String? = nil,
            consultsAtStages: Bool = false
        ) {
            self.hostname = hostname
            self.maximumMessageSize = maximumMessageSize
            self.maximumRecipients = maximumRecipients
            self.maximumErrors = maximumErrors
            self.offersStartTLS = offersStartTLS
            self.helpURL = helpURL
            self.consultsAtStages = consultsAtStages
        }
    }
}

/// The outcome of handing a transaction to the host (MailpenSMTP's `SMTPDeliveryHandler`).
public enum SMTPDeliveryResult: Sendable, Hashable {
    /// Stored under `id`; the client gets `250 2.0.0 Ok: queued as <id>`.
    case accepted(id: String)
    /// Not stored; the client gets `reply`, a 4xx or 5xx from the catalog (`.storageFailure`, say).
    case rejected(SMTPReply)
}

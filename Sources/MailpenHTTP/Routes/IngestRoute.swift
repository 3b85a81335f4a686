import Foundation
import Hummingbird
import MailpenMIME
import MailpenSMTPCore
import MailpenStore

/// `POST /api/v1/inboxes/{inbox}/messages`: stores a raw message as if it came over SMTP; the envelope comes from the `from`
/// and `to` query parameters, else from the headers. Like SMTP AUTH (unless `--smtp-auth strict`), it
/// creates the inbox on first use.
struct IngestRoute {
    let dependencies: MailpenHTTP.Dependencies

    private var store: any MailpenStore { dependencies.store }

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.post("inboxes/:inbox/messages", use: ingest)
    }

    @Sendable func ingest(_ request: Request, context: MailpenRequestContext) async throws -> EditedResponse<
        SummaryResource
    > {
        try request.requireContentType(["message/rfc822", "application/octet-stream"], for: "a message")
        let name = try context.pathParameter("inbox")
        guard Inbox.isValidName(name) else { throw StoreError.invalidInboxName(name) }
        let exists = try await store.inbox(named: name) != nil
        guard exists || dependencies.createsInboxesOnFirstUse else { throw StoreError.inboxNotFound(name) }
        let raw = try await request.bodyBytes(upTo: dependencies.maximumMessageSize, what: "message")
        guard !raw.isEmpty else {
            throw APIError.badRequest("the request body must be a message (message/rfc822)")
        }
        let parsed = MIMEMessage(raw)
        guard !parsed.header.fields.isEmpty else {
            throw APIError.badRequest("the request body has no header fields: it is not a message")
        }
        let queryFrom = try request.queryValue("from")
        let queryTo = try request.queryValues("to")
        if let queryFrom, !queryFrom.isEmpty, !EnvelopeAddress.isValid(queryFrom) {
            throw APIError.badRequest(
                "from is not an envelope address (local@domain, or empty for a bounce): '\(queryFrom)'")
        }
        if let invalid = queryTo.first(where: { !EnvelopeAddress.isValid($0) }) {
            throw APIError.badRequest("to is not an envelope address (local@domain): '\(invalid)'")
        }
        let recipients = !queryTo.isEmpty ? queryTo : (parsed.to + parsed.cc + parsed.bcc).map(\.address)
        guard !recipients.isEmpty else {
            throw APIError.badRequest("no recipients: pass ?to=address or give the message a To, Cc or Bcc header")
        }
        guard recipients.count <= dependencies.maximumRecipients else {
            throw APIError.badRequest(
                "\(recipients.count) recipients: a message has at most \(dependencies.maximumRecipients) (--max-recipients)"
            )
        }
        let envelope = MessageEnvelope(
            source: .http,
            mailFrom: queryFrom ?? parsed.from.first?.address ?? "",
            recipients: recipients.map { MessageEnvelope.Recipient(address: $0) },
            clientAddress: context.remoteAddress?.ipAddress,
            clientPort: context.remoteAddress?.port)
        let started = ContinuousClock.now
        let summary = try await store.store(
            IncomingMessage(
                inbox: name, raw: raw, envelope: envelope, inboxCreation: exists ? .never : .withGeneratedPassword))
        dependencies.metrics.messageStored(size: summary.size, duration: ContinuousClock.now - started)
        return EditedResponse(status: .created, response: SummaryResource(summary))
    }
}

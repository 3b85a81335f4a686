import Foundation
import HTTPTypes
import Hummingbird
import MailpenMIME
import MailpenStore
import ServiceLifecycle

/// `/api/v1/inboxes…`: inbox management, listing, searching, ingest, deletion and waiting.
struct InboxRoutes {
    let dependencies: MailpenHTTP.Dependencies

    private var store: MailpenStore { dependencies.store }

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("inboxes") { _, _ in
            InboxListResource(inboxes: try await store.inboxes().map(resource))
        }
        group.post("inboxes") { request, context in
            let body = try await request.decodeJSON(as: InboxCreateRequest.self)
            try Self.validate(maxMessages: body.maxMessages, maxAgeSeconds: body.maxAgeSeconds, password: body.password)
            let inbox = try await store.createInbox(
                named: body.name, password: body.password, maxMessages: body.maxMessages,
                maxAgeSeconds: body.maxAgeSeconds, routes: body.routes ?? [])
            return EditedResponse(status: .created, response: resource(inbox))
        }
        group.get("inboxes/:inbox") { _, context in
            resource(try await inbox(context))
        }
        group.patch("inboxes/:inbox") { request, context in
            let body = try await request.decodeJSON(as: InboxUpdateRequest.self)
            try Self.validate(maxMessages: body.maxMessages ?? nil, maxAgeSeconds: body.maxAgeSeconds ?? nil, password: body.password)
            let name = try context.pathParameter("inbox")
            let inbox = try await store.updateInbox(
                named: name,
                .init(password: body.password, maxMessages: body.maxMessages, maxAgeSeconds: body.maxAgeSeconds, routes: body.routes))
            return resource(inbox)
        }
        group.delete("inboxes/:inbox") { _, context in
            try await store.deleteInbox(named: try context.pathParameter("inbox"))
            return Response(status: .noContent)
        }
        group.get("inboxes/:inbox/messages") { request, context in
            let query = try messageQuery(request, context)
            let limit = try request.query("limit", as: Int.self) ?? 50
            let offset = try request.query("offset", as: Int.self) ?? 0
            guard (1...1000).contains(limit) else { throw APIError.badRequest("limit must be between 1 and 1000") }
            guard (0...1_000_000_000).contains(offset) else { throw APIError.badRequest("offset must be between 0 and 1000000000") }
            return MessageListResource(try await store.messages(query, limit: limit, offset: offset))
        }
        group.delete("inboxes/:inbox/messages") { request, context in
            DeleteResource(deleted: try await store.deleteMessages(try messageQuery(request, context)))
        }
        group.post("inboxes/:inbox/messages") { request, context in
            try await ingest(request, context)
        }
        group.get("inboxes/:inbox/wait") { request, context in
            let query = try messageQuery(request, context)
            let count = try request.query("count", as: Int.self) ?? 1
            let timeout = try request.query("timeout", as: Double.self) ?? 30
            guard (1...1000).contains(count) else { throw APIError.badRequest("count must be between 1 and 1000") }
            guard timeout >= 0, timeout <= 300 else { throw APIError.badRequest("timeout must be between 0 and 300 seconds") }
            // The inbox need not exist yet: SMTP AUTH or ingest may create it with the very mail awaited.
            let name = try context.pathParameter("inbox")
            guard Inbox.isValidName(name) else { throw StoreError.invalidInboxName(name) }
            // Watching for the client to go away ends the connection with the response, so say so: a
            // keep-alive client must not send its next request on it.
            let closing: HTTPFields = [.connection: "close"]
            do {
                let messages = try await request.body.consumeWithCancellationOnInboundClose { _ in
                    try await cancelWhenGracefulShutdown {
                        try await store.waitForMessages(query, count: count, timeout: .milliseconds(Int64(timeout * 1000)))
                    }
                }
                var response = try WaitResource(messages: messages.map(SummaryResource.init)).response(from: request, context: context)
                response.headers[.connection] = "close"
                return response
            } catch StoreError.timedOut {
                // Say what was waited for and how close it came, so that a failed CI step explains itself.
                let matched = (try? await store.messages(query, limit: 0).total) ?? 0
                let search = (try? request.queryValue("q"))?.map { $0.isEmpty ? "any message" : "'\($0)'" } ?? "any message"
                let message = "timed out after \(timeout.rounded() == timeout ? String(Int(timeout)) : String(timeout)) s waiting for \(count) message\(count == 1 ? "" : "s") "
                    + "matching \(search) in inbox '\(query.inbox)'; \(matched) matched"
                return APIError.jsonResponse(status: .requestTimeout, message: message, headers: closing)
            } catch is CancellationError where Task.isShuttingDownGracefully {
                return APIError.jsonResponse(
                    status: .serviceUnavailable, message: "the server is shutting down; wait again once it is back",
                    headers: closing)
            }
        }
    }

    private func resource(_ inbox: Inbox) -> InboxResource {
        InboxResource(inbox, smtp: dependencies.smtp)
    }

    private func inbox(_ context: MailpenRequestContext) async throws -> Inbox {
        let name = try context.pathParameter("inbox")
        guard let inbox = try await store.inbox(named: name) else { throw StoreError.inboxNotFound(name) }
        return inbox
    }

    private func messageQuery(_ request: Request, _ context: MailpenRequestContext) throws -> MessageQuery {
        let name = try context.pathParameter("inbox")
        let search = try SearchQuery(parsing: try request.queryValue("q") ?? "")
        var since: MessageMarker?
        if let text = try request.queryValue("since") {
            if let date = RFC3339.date(from: text) {
                since = .time(date)
            } else if text.count == 26, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                since = .message(id: text.uppercased())
            } else {
                throw APIError.badRequest("since must be an RFC 3339 time or a message id, not '\(text)'")
            }
        }
        return MessageQuery(inbox: name, search: search, since: since)
    }

    private static func validate(maxMessages: Int?, maxAgeSeconds: Int?, password: String?) throws {
        if let maxMessages, !(0...1_000_000_000).contains(maxMessages) {
            throw APIError.badRequest("maxMessages must be between 0 and 1000000000")
        }
        if let maxAgeSeconds, !(1...3_153_600_000).contains(maxAgeSeconds) {
            throw APIError.badRequest("maxAgeSeconds must be between 1 and 3153600000")
        }
        if let password, password.unicodeScalars.isEmpty || password.unicodeScalars.count > 256 {
            throw APIError.badRequest("password must have 1 to 256 characters")
        }
    }

    /// `POST …/messages`: stores a raw message as if it came over SMTP; the envelope comes from the `from`
    /// and `to` query parameters, else from the headers. Like SMTP AUTH (unless `--smtp-auth strict`), it
    /// creates the inbox on first use.
    private func ingest(_ request: Request, _ context: MailpenRequestContext) async throws -> EditedResponse<SummaryResource> {
        try request.requireContentType(["message/rfc822", "application/octet-stream"], for: "a message")
        let name = try context.pathParameter("inbox")
        guard Inbox.isValidName(name) else { throw StoreError.invalidInboxName(name) }
        let exists = try await store.inbox(named: name) != nil
        guard exists || dependencies.createsInboxesOnFirstUse else { throw StoreError.inboxNotFound(name) }
        let limit = dependencies.maxMessageSize
        var body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "message larger than the maximum of \(limit) bytes")
        }
        guard body.readableBytes > 0 else { throw APIError.badRequest("the request body must be a message (message/rfc822)") }
        let raw = body.readBytes(length: body.readableBytes) ?? []
        let parsed = MIMEMessage(raw)
        guard !parsed.header.fields.isEmpty else {
            throw APIError.badRequest("the request body has no header fields: it is not a message")
        }
        let queryFrom = try request.queryValue("from")
        let queryTo = try request.queryValues("to")
        if let queryFrom, !queryFrom.isEmpty, !EnvelopeAddress.isValid(queryFrom) {
            throw APIError.badRequest("from is not an envelope address (local@domain, or empty for a bounce): '\(queryFrom)'")
        }
        if let invalid = queryTo.first(where: { !EnvelopeAddress.isValid($0) }) {
            throw APIError.badRequest("to is not an envelope address (local@domain): '\(invalid)'")
        }
        let recipients = !queryTo.isEmpty ? queryTo : (parsed.to + parsed.cc + parsed.bcc).map(\.address)
        guard !recipients.isEmpty else {
            throw APIError.badRequest("no recipients: pass ?to=address or give the message a To, Cc or Bcc header")
        }
        let envelope = MessageEnvelope(
            source: .http,
            mailFrom: queryFrom ?? parsed.from.first?.address ?? "",
            recipients: recipients.map { MessageEnvelope.Recipient(address: $0) },
            clientAddress: context.remoteAddress?.ipAddress,
            clientPort: context.remoteAddress?.port)
        let started = ContinuousClock.now
        let summary = try await store.store(
            IncomingMessage(inbox: name, raw: raw, envelope: envelope, inboxCreation: exists ? .never : .withGeneratedPassword))
        dependencies.metrics.messageStored(size: summary.size, duration: ContinuousClock.now - started)
        return EditedResponse(status: .created, response: SummaryResource(summary))
    }
}

/// The check an SMTP server makes of a MAIL FROM or RCPT TO address, for envelopes given over HTTP: a local
/// part and a domain around the last `@` (the domain neither starts nor ends with a dot), nothing a mail
/// header would need to quote (spaces, control characters, angle brackets, commas), at most 320 characters.
/// UTF-8 is fine (SMTPUTF8). The OpenAPI document states the same rule as a pattern, character for character.
enum EnvelopeAddress {
    static func isValid(_ address: String) -> Bool {
        let scalars = address.unicodeScalars
        guard scalars.count <= 320, !scalars.contains(where: isForbidden), let at = scalars.lastIndex(of: "@") else {
            return false
        }
        let local = scalars[..<at]
        let domain = scalars[scalars.index(after: at)...]
        return !local.isEmpty && !domain.isEmpty && domain.first != "." && domain.last != "."
    }

    /// Controls, the characters ECMAScript's `\s` names, and `<`, `>`, `,`.
    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x20, 0x7F...0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: return true
        default: return "<>,".unicodeScalars.contains(scalar)
        }
    }
}

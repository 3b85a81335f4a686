import Foundation
import MailpenMIME
import MailpenSMTPCore
import MailpenStore

/// The JSON shapes of MailHog's API, field for field (`ID`, `From{Relays, Mailbox, Domain, Params}`,
/// `Content{Headers, Body, Size, MIME}`, `Raw`, `Created`), so that MailHog's clients read Mailpen's answers.
enum MailHog {
    /// An SMTP path: MailHog splits the address at the `@`.
    struct Path: Codable, Equatable, Sendable {
        var relays: [String]?
        var mailbox: String
        var domain: String
        var params: String

        enum CodingKeys: String, CodingKey {
            case relays = "Relays"
            case mailbox = "Mailbox"
            case domain = "Domain"
            case params = "Params"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            // MailHog writes `"Relays": null` for a path without source routes.
            if let relays {
                try container.encode(relays, forKey: .relays)
            } else {
                try container.encodeNil(forKey: .relays)
            }
            try container.encode(mailbox, forKey: .mailbox)
            try container.encode(domain, forKey: .domain)
            try container.encode(params, forKey: .params)
        }
    }

    /// A header block and its body, still transfer-encoded, and the parts of a multipart body.
    struct Content: Codable, Equatable, Sendable {
        var headers: [String: [String]]
        var body: String
        var size: Int
        var mime: MIMEBody?

        enum CodingKeys: String, CodingKey {
            case headers = "Headers"
            case body = "Body"
            case size = "Size"
            case mime = "MIME"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(headers, forKey: .headers)
            try container.encode(body, forKey: .body)
            try container.encode(size, forKey: .size)
            if let mime { try container.encode(mime, forKey: .mime) } else { try container.encodeNil(forKey: .mime) }
        }
    }

    struct MIMEBody: Codable, Equatable, Sendable {
        var parts: [Content]

        enum CodingKeys: String, CodingKey {
            case parts = "Parts"
        }
    }

    /// The message as the client sent it over SMTP.
    struct Raw: Codable, Equatable, Sendable {
        var from: String
        var to: [String]
        var data: String
        var helo: String

        enum CodingKeys: String, CodingKey {
            case from = "From"
            case to = "To"
            case data = "Data"
            case helo = "Helo"
        }
    }

    struct Message: Codable, Equatable, Sendable {
        var id: String
        var from: Path
        var to: [Path]
        var content: Content
        var created: String
        var mime: MIMEBody?
        var raw: Raw

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case from = "From"
            case to = "To"
            case content = "Content"
            case created = "Created"
            case mime = "MIME"
            case raw = "Raw"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try container.encode(content, forKey: .content)
            try container.encode(created, forKey: .created)
            if let mime { try container.encode(mime, forKey: .mime) } else { try container.encodeNil(forKey: .mime) }
            try container.encode(raw, forKey: .raw)
        }
    }

    /// `GET /api/v2/messages` and `/api/v2/search`: `items`, as MailHog sends them (its own description of
    /// the API calls the list `messages`; its server and every client use `items`).
    struct Messages: Codable, Equatable, Sendable {
        var total: Int
        var count: Int
        var start: Int
        var items: [Message]
    }
}

extension MailHog.Path {
    /// `local@domain` split at the last `@`; the ESMTP parameters joined as MailHog keeps them.
    init(address: String, parameters: [MessageEnvelope.Parameter] = []) {
        var mailbox = address
        var domain = ""
        if let at = address.lastIndex(of: "@") {
            mailbox = String(address[..<at])
            domain = String(address[address.index(after: at)...])
        }
        let params = parameters.map { parameter in
            parameter.value.map { "\(parameter.keyword)=\($0)" } ?? parameter.keyword
        }.joined(separator: " ")
        self.init(relays: nil, mailbox: mailbox, domain: domain, params: params)
    }
}

extension MailHog.Message {
    /// The message as MailHog shows it: the envelope as paths, the header map in the sender's casing, the
    /// body still encoded, the multipart tree and the raw SMTP data.
    init(_ stored: StoredMessage) {
        let parsed = MIMEMessage(stored.raw)
        var budget = MailHog.Content.multipartBodyBudget(forMessageOf: stored.raw.count)
        let content = MailHog.Content(
            part: parsed.root, in: parsed, size: stored.raw.count, wholeMessage: true, budget: &budget)
        let envelope = stored.envelope
        self.init(
            id: stored.summary.id,
            from: MailHog.Path(address: envelope.mailFrom, parameters: envelope.mailParameters),
            to: envelope.recipients.map { MailHog.Path(address: $0.address, parameters: $0.parameters) },
            content: MailHog.Content(headers: content.headers, body: content.body, size: content.size, mime: nil),
            created: CompatJSON.time(stored.summary.receivedAt),
            mime: content.mime,
            raw: MailHog.Raw(
                from: envelope.mailFrom, to: envelope.recipients.map(\.address),
                data: String(decoding: stored.raw, as: UTF8.self), helo: envelope.heloName ?? ""))
    }
}

extension MailHog.Content {
    /// How many bytes of multipart bodies one message's shape repeats. MailHog repeats every multipart's
    /// body, children included, at each level of nesting, so a deeply nested message would come out as many
    /// times its size (64 levels: 64 times). The multiparts below the message's own body share a budget of
    /// twice the message, in order; past it a multipart's body is left empty (its parts still carry every
    /// byte), which keeps the shape within about five times the message with its raw data and whole body.
    static func multipartBodyBudget(forMessageOf size: Int) -> Int {
        let (double, overflows) = size.multipliedReportingOverflow(by: 2)
        return overflows ? Int.max : double
    }

    /// A part's header map and still-encoded body; a multipart's children become its `MIME` parts.
    init(
        part: MIMEPart, in message: MIMEMessage, size: Int? = nil, wholeMessage: Bool = false, budget: inout Int
    ) {
        var headers: [String: [String]] = [:]
        for field in part.header.fields { headers[field.name, default: []].append(field.unfoldedValue) }
        let rawBody = message.rawBody(of: part)
        var body = rawBody
        var mime: MailHog.MIMEBody?
        if part.isMultipart, !part.children.isEmpty {
            // The message's own body is not a repeat: only the levels below it are charged.
            if !wholeMessage {
                if body.count <= budget { budget -= body.count } else { body = [] }
            }
            var parts: [MailHog.Content] = []
            for child in part.children { parts.append(MailHog.Content(part: child, in: message, budget: &budget)) }
            mime = MailHog.MIMEBody(parts: parts)
        }
        // A part's size counts its header block too (MailHog keeps the part's text whole).
        let headerSize = part.header.fields.reduce(0) { $0 + $1.name.utf8.count + 1 + $1.raw.utf8.count + 2 } + 2
        self.init(
            headers: headers, body: String(decoding: body, as: UTF8.self),
            size: size ?? (wholeMessage ? message.raw.count : headerSize + rawBody.count), mime: mime)
    }
}

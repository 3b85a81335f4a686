import Foundation
import HTTPTypes
import Hummingbird
import MailpenMIME
import MailpenRelay
import MailpenStore
import NIOCore

extension MailpitAPI {
    /// Parts are served from Mailpen's origin: any a browser could run is sandboxed.
    static var partContentSecurityPolicy: String {
        "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    }

    /// `/api/v1/message/{ID}[/headers|/raw|/part/{PartID}[/thumb]|/release]` and `/view/{ID}.html|.txt`.
    func registerMessage(on router: Router<Context>) {
        router.get("api/v1/message/:id") { request, context in
            try await answer {
                var stored = try await storedMessage(request, context)
                // Opening a message marks it read, as in Mailpit, but not when another site's page opens it
                // (an image pointing here would otherwise change the mailbox).
                if !stored.summary.isRead, !request.comesFromAnotherSite {
                    stored.summary = try await dependencies.store.update(id: stored.summary.id, isRead: true, tags: nil)
                }
                return CompatJSON.response(Mailpit.Message(stored, parsed: MIMEMessage(stored.raw)))
            }
        }
        router.get("api/v1/message/:id/headers") { request, context in
            try await answer {
                let stored = try await storedMessage(request, context)
                return CompatJSON.response(Self.headerMap(HeaderBlock.parse(stored.raw).header))
            }
        }
        router.get("api/v1/message/:id/raw") { request, context in
            try await answer {
                let stored = try await storedMessage(request, context)
                var headers: HTTPFields = [
                    .contentType: "text/plain; charset=utf-8",
                    .contentSecurityPolicy: Self.partContentSecurityPolicy,
                    .xContentTypeOptions: "nosniff",
                ]
                if request.queryParameter("dl") == "1" {
                    headers[.contentDisposition] = "attachment; filename=\"\(stored.summary.id).eml\""
                }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored.raw)))
            }
        }
        router.get("api/v1/message/:id/part/:partID") { request, context in
            try await answer {
                let stored = try await storedMessage(request, context)
                let parsed = MIMEMessage(stored.raw)
                guard let part = parsed.part(withID: context.parameters.get("partID") ?? ""), !part.isMultipart else {
                    return PlainText.notFound
                }
                return Self.partResponse(part, bytes: parsed.decodedBody(of: part))
            }
        }
        router.get("api/v1/message/:id/part/:partID/thumb") { request, context in
            try await answer {
                // Mailpit documents only 200 and 400 here: an unknown message or part is a 400.
                guard let id = try await resolveID(request, context),
                    let stored = try await visible(context).message(id: id),
                    MIMEMessage(stored.raw).part(withID: context.parameters.get("partID") ?? "") != nil
                else { return PlainText.badRequest("Attachment not found") }
                // Mailpen decodes no images: every part gets the blank thumbnail Mailpit gives a non-image.
                return Response(
                    status: .ok, headers: [.contentType: "image/jpeg"],
                    body: .init(byteBuffer: ByteBuffer(bytes: BlankThumbnail.jpeg)))
            }
        }
        router.post("api/v1/message/:id/release") { request, context in
            try await answer {
                let stored = try await storedMessage(request, context)
                // Mailpit has one relay; Mailpen sends through the first one configured.
                guard let relays = dependencies.relays, let relay = relays.configuration.relays.first else {
                    return PlainText.badRequest("Relay is not enabled")
                }
                let body: LenientJSONObject
                do {
                    body = try LenientJSONObject(try await request.bodyBytes())
                } catch let invalid as LenientJSONObject.Invalid {
                    return PlainText.badRequest(invalid.message)
                }
                let to = (try body.strings("To") ?? []).filter { !$0.isEmpty }
                guard !to.isEmpty else { return PlainText.badRequest("No valid addresses found") }
                do {
                    _ = try await relays.release(messageID: stored.summary.id, relay: relay.name, to: to)
                } catch let refusal as RelayError {
                    return PlainText.badRequest(refusal.description)
                }
                return PlainText.ok
            }
        }
        router.get("view/:file") { request, context in
            try await answer {
                let file = context.parameters.get("file") ?? ""
                let isHTML = file.hasSuffix(".html")
                guard isHTML || file.hasSuffix(".txt") else { return PlainText.notFound }
                let id = String(file.dropLast(isHTML ? 5 : 4))
                var resolved: String? = id
                if id == "latest" {
                    resolved = try await visible(context).latest(
                        try SearchQuery(parsing: request.queryParameter("query") ?? ""))?.id
                }
                guard let resolved, let stored = try await visible(context).message(id: resolved) else {
                    return PlainText.response(.notFound, "Message not found")
                }
                let parsed = MIMEMessage(stored.raw)
                if !isHTML {
                    return PlainText.response(
                        .ok, parsed.textBody ?? (parsed.htmlBody == nil ? "" : parsed.htmlText),
                        contentType: "text/plain; charset=utf-8")
                }
                guard let html = parsed.htmlBody else {
                    return PlainText.response(.notFound, "This message does not contain a HTML part")
                }
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "text/html; charset=utf-8",
                        .contentSecurityPolicy: Self.viewContentSecurityPolicy,
                        .xContentTypeOptions: "nosniff",
                    ],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            string: Self.linkingInlineImages(html, id: stored.summary.id, parsed: parsed))))
            }
        }
    }

    /// The HTML view is for tests that read it, and for people: scripts never run in it.
    static var viewContentSecurityPolicy: String {
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src * data: blob:; "
            + "style-src * 'unsafe-inline'; font-src * data:; script-src 'none'; object-src 'none'; base-uri 'none'"
    }

    /// Go's `mail.Header`: canonical names (`Message-Id`, `Content-Type`), values unfolded, in order.
    static func headerMap(_ header: MIMEHeader) -> [String: [String]] {
        var map: [String: [String]] = [:]
        for field in header.fields {
            map[canonicalName(field.name), default: []].append(field.unfoldedValue)
        }
        return map
    }

    /// Go's `textproto.CanonicalMIMEHeaderKey`: the first letter and each letter after a hyphen upper-case,
    /// the rest lower-case; a name with a space or other invalid byte stays as it is.
    static func canonicalName(_ name: String) -> String {
        let bytes = Array(name.utf8)
        let valid = bytes.allSatisfy { byte in
            (0x21...0x7E).contains(byte) && byte != UInt8(ascii: ":")
        }
        guard valid else { return name }
        var upper = true
        var out: [UInt8] = []
        for byte in bytes {
            var byte = byte
            if upper, (0x61...0x7A).contains(byte) {
                byte -= 0x20
            } else if !upper, (0x41...0x5A).contains(byte) {
                byte += 0x20
            }
            upper = byte == UInt8(ascii: "-")
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A part with its own content type, except those a browser would run (HTML, XML, SVG), which Mailpit
    /// sends as downloads.
    static func partResponse(_ part: MIMEPart, bytes: [UInt8]) -> Response {
        var contentType = part.contentType.mimeType
        if let charset = part.charset, part.contentType.type == "text" { contentType += "; charset=\(charset)" }
        var disposition = "inline"
        if ["text/html", "text/xml", "application/xhtml+xml", "image/svg+xml", "application/xml", "text/xsl"]
            .contains(part.contentType.mimeType)
        {
            contentType = "application/octet-stream"
            disposition = "attachment"
        }
        let name = part.filename ?? part.contentID ?? "part-\(part.id)"
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let escaped = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "part"
        return Response(
            status: .ok,
            headers: [
                .contentType: contentType,
                .contentDisposition: "\(disposition); filename=\"\(escaped)\"",
                .contentSecurityPolicy: partContentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `cid:` references to inline parts in attribute values (`src="cid:…"`, `='cid:…'`, `=cid:…`) become the
    /// parts' API URLs, as Mailpit rewrites them.
    static func linkingInlineImages(_ html: String, id: String, parsed: MIMEMessage) -> String {
        ContentIDReferences.rewriting(html, contentIDs: parsed.contentIDs, attributeValuesOnly: true) {
            "/api/v1/message/\(id)/part/\($0)"
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import MailpenMIME
import MailpenStore

/// `/api/v1/messages/{id}…`: one message, its bytes, headers, parts and bodies; marking and deleting.
struct MessageRoutes {
    let dependencies: MailpenHTTP.Dependencies

    private var store: any MailpenStore { dependencies.store }

    /// The preview CSP: a sandbox without scripts, forms or plugins; images (remote ones too), styles
    /// and fonts load as a recipient's client would load them.
    static let htmlContentSecurityPolicy =
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src * data: blob:; "
        + "style-src * 'unsafe-inline'; font-src * data:; media-src *; script-src 'none'; object-src 'none'; "
        + "form-action 'none'; frame-src 'none'; base-uri 'none'"
    /// Parts are served from this origin, so any part a browser could run (HTML, SVG) is sandboxed too.
    static let partContentSecurityPolicy = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("messages/:id") { _, context in
            let stored = try await message(context)
            return MessageResource(stored, parsed: MIMEMessage(stored.raw))
        }
        group.patch("messages/:id") { request, context in
            let body = try await request.decodeJSON(as: MessageUpdateRequest.self)
            let id = try context.pathParameter("id")
            return SummaryResource(try await store.update(id: id, isRead: body.read, tags: body.tags))
        }
        group.delete("messages/:id") { _, context in
            try await store.deleteMessage(id: try context.pathParameter("id"))
            return Response(status: .noContent)
        }
        group.get("messages/:id/raw") { request, context in
            let (id, raw) = try await rawMessage(context)
            var headers: HTTPFields = [
                .contentType: "message/rfc822",
                .contentSecurityPolicy: Self.partContentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
            ]
            if try request.flag("download") {
                headers[.contentDisposition] = "attachment; filename=\"\(id).eml\""
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: raw)))
        }
        group.get("messages/:id/headers") { _, context in
            let (_, raw) = try await rawMessage(context)
            return HeaderListResource(headers: MIMEMessage(raw).header.fields.map(HeaderResource.init))
        }
        group.get("messages/:id/parts/:partId") { request, context in
            let (id, raw) = try await rawMessage(context)
            let partID = try context.pathParameter("partId")
            let parsed = MIMEMessage(raw)
            guard let part = parsed.part(withID: partID) else {
                throw APIError.notFound("message \(id) has no part \(partID)")
            }
            var contentType = part.contentType.mimeType
            if let charset = part.charset, part.contentType.type == "text" { contentType += "; charset=\(charset)" }
            var headers: HTTPFields = [
                .contentType: contentType,
                .contentSecurityPolicy: Self.partContentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
            ]
            let filename = part.filename ?? "part-\(partID)"
            // Scalar by scalar: a quote followed by a combining mark is one Character, not a quote. A backslash
            // would escape the closing quote; the full name is in `filename*`, percent-encoded.
            let quoted = String(
                String.UnicodeScalarView(
                    filename.unicodeScalars.filter { (0x20..<0x7F).contains($0.value) && $0 != "\"" && $0 != "\\" }))
            let disposition = try request.flag("download") ? "attachment" : "inline"
            headers[.contentDisposition] =
                "\(disposition); filename=\"\(quoted)\"; filename*=UTF-8''\(Self.percentEncoded(filename))"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: parsed.decodedBody(of: part))))
        }
        group.get("messages/:id/html") { _, context in
            let (id, raw) = try await rawMessage(context)
            let parsed = MIMEMessage(raw)
            guard let html = parsed.htmlBody else {
                throw APIError.notFound("message \(id) has no HTML body")
            }
            let rewritten = PartURL.rewritingContentIDs(in: html, messageID: id, contentIDs: parsed.contentIDs)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8",
                    .contentSecurityPolicy: Self.htmlContentSecurityPolicy,
                    .xContentTypeOptions: "nosniff",
                ],
                body: .init(byteBuffer: ByteBuffer(string: rewritten)))
        }
        group.get("messages/:id/text") { _, context in
            let (id, raw) = try await rawMessage(context)
            guard let text = MIMEMessage(raw).textBody else {
                throw APIError.notFound("message \(id) has no text body")
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/plain; charset=utf-8",
                    .contentSecurityPolicy: Self.partContentSecurityPolicy,
                    .xContentTypeOptions: "nosniff",
                ],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    private func message(_ context: MailpenRequestContext) async throws -> StoredMessage {
        let id = try context.pathParameter("id")
        guard let stored = try await store.message(id: id) else { throw StoreError.messageNotFound(id) }
        return stored
    }

    /// The id and exact bytes of the message a route names: all that the routes that only parse it need.
    private func rawMessage(_ context: MailpenRequestContext) async throws -> (id: String, raw: [UInt8]) {
        let id = try context.pathParameter("id")
        guard let raw = try await store.rawMessage(id: id) else { throw StoreError.messageNotFound(id) }
        return (id, raw)
    }

    private static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import MailpenMIME
import MailpenRelay
import MailpenStore
import NIOCore
import ServiceLifecycle

/// MailHog's API v1 and v2 over the store, for MailHog's clients (cypress-mailhog, the `mailhog` npm
/// client, rpkamp/mailhog-client …). It is served on a listener of its own (`--mailhog-api`), because
/// MailHog's `/api/v1/messages` means something else than Mailpit's. JSON goes out as `text/json`, as MailHog
/// sends it; deletions answer an empty 200, which some clients parse only when it is not empty.
public struct MailHogAPI<Context: CompatRequestContext>: Sendable {
    let dependencies: CompatDependencies

    public init(dependencies: CompatDependencies) {
        self.dependencies = dependencies
    }

    /// MailHog's JSON content type.
    static var jsonType: String { "text/json" }

    public func register(on router: Router<Context>) {
        router.add(middleware: MailHogErrorMiddleware<Context>())
        router.add(
            middleware: AllowedMethodsMiddleware<Context>([
                "api/v2/messages": ["GET", "HEAD"], "api/v2/search": ["GET", "HEAD"],
                "api/v2/jim": ["GET", "HEAD", "POST", "PUT", "DELETE"], "api/v1/messages": ["GET", "HEAD", "DELETE"],
                "api/v1/messages/:id": ["GET", "HEAD", "DELETE"], "api/v1/messages/:id/download": ["GET", "HEAD"],
                "api/v1/messages/:id/mime/part/:part/download": ["GET", "HEAD"],
                "api/v1/messages/:id/release": ["POST"], "api/v1/events": ["GET", "HEAD"],
            ]))
        router.get("api/v2/messages") { request, context in
            let (start, limit) = Self.startAndLimit(request)
            let page = try await visible(context).page(.all, start: start, limit: limit)
            return try await messages(page, start: start)
        }
        router.get("api/v2/search") { request, context in
            let kind = request.queryParameter("kind") ?? ""
            let query = request.queryParameter("query") ?? ""
            guard let search = Self.search(kind: kind, query: query) else { return Response(status: .badRequest) }
            let (start, limit) = Self.startAndLimit(request)
            let page = try await visible(context).page(search, start: start, limit: limit)
            return try await messages(page, start: start)
        }
        registerJim(on: router)
        router.get("api/v1/messages") { _, context in
            let page = try await visible(context).page(.all, start: 0, limit: 1000)
            return CompatJSON.response(try await full(page.messages), contentType: Self.jsonType)
        }
        router.delete("api/v1/messages") { request, context in
            _ = try await request.bodyBytes()
            try await visible(context).delete(.all)
            return Self.emptyJSON
        }
        router.get("api/v1/messages/:id") { _, context in
            // An unknown message is `null`, as MailHog encodes the nil it loads.
            guard let stored = try await visible(context).message(id: context.parameters.get("id") ?? "") else {
                return PlainText.response(.ok, "null", contentType: Self.jsonType)
            }
            return CompatJSON.response(MailHog.Message(stored), contentType: Self.jsonType)
        }
        router.delete("api/v1/messages/:id") { _, context in
            try await visible(context).delete(ids: [context.parameters.get("id") ?? ""])
            return Self.emptyJSON
        }
        router.get("api/v1/messages/:id/download") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let stored = try await visible(context).message(id: id) else { return PlainText.notFound }
            return Response(
                status: .ok,
                headers: [.contentType: "message/rfc822", .contentDisposition: "attachment; filename=\"\(id).eml\""],
                body: .init(byteBuffer: ByteBuffer(bytes: stored.raw)))
        }
        router.get("api/v1/messages/:id/mime/part/:part/download") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let stored = try await visible(context).message(id: id),
                let index = Int(context.parameters.get("part") ?? ""),
                let parts = MailHog.Message(stored).mime?.parts, parts.indices.contains(index)
            else { return PlainText.notFound }
            var headers: HTTPFields = [
                .contentDisposition: "attachment; filename=\"\(id)-part-\(index)\"",
                .xContentTypeOptions: "nosniff",
                .contentSecurityPolicy: "sandbox; default-src 'none'",
            ]
            if let type = parts[index].headers.first(where: { $0.key.lowercased() == "content-type" })?.value.first {
                headers[.contentType] = type
            }
            // MailHog sends the part's headers as the response's and its (still encoded) body after a blank line.
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "\r\n" + parts[index].body)))
        }
        router.post("api/v1/messages/:id/release") { request, context in
            guard try await visible(context).message(id: context.parameters.get("id") ?? "") != nil else {
                return PlainText.notFound
            }
            let id = context.parameters.get("id") ?? ""
            let body = try? LenientJSONObject(try await request.bodyBytes())
            // MailHog releases through an outgoing server named in its configuration (`Name`) or given in the
            // body (Host, Port…). Mailpen sends only through relays configured at start, so only a name
            // counts; anything else is answered as MailHog answers a release it could not make, with a 500.
            guard let relays = dependencies.relays, let name = try? body?.string("Name"),
                relays.configuration.relay(named: name) != nil
            else {
                return PlainText.response(.internalServerError, "no configured relay named in the request")
            }
            guard let email = try? body?.string("Email"), !email.isEmpty else {
                return PlainText.response(.internalServerError, "no recipient (Email) in the request")
            }
            do {
                _ = try await relays.release(messageID: id, relay: name, to: [email])
            } catch let refusal as RelayError {
                return PlainText.response(.internalServerError, refusal.description)
            }
            return Response(status: .ok)
        }
        MailHogEvents<Context>(dependencies: dependencies).register(on: router)
    }

    private func visible(_ context: Context) -> VisibleMessages {
        VisibleMessages(store: dependencies.store, access: context.inboxAccess)
    }

    private static var emptyJSON: Response {
        Response(status: .ok, headers: [.contentType: jsonType])
    }

    /// MailHog's v2 paging: `start` from 0, `limit` 1 to 250 (default 50); anything else is the default.
    static func startAndLimit(_ request: Request) -> (start: Int, limit: Int) {
        var start = 0
        var limit = 50
        if let text = request.queryParameter("start"), let number = Int(text), number > 0 { start = number }
        if let text = request.queryParameter("limit"), let number = Int(text), number > 0 { limit = min(number, 250) }
        return (start, limit)
    }

    /// MailHog's three kinds of search as a Mailpen search: `from` the sender's addresses, `to` the envelope
    /// recipients, `containing` the words anywhere. `nil` for another kind or an empty query (MailHog's 400).
    static func search(kind: String, query: String) -> SearchQuery? {
        guard !query.isEmpty else { return nil }
        let value = SearchValueQuoting.quoted(query)
        let text: String
        switch kind {
        case "from": text = "from:" + value
        case "to": text = "rcpt:" + value
        case "containing": text = value
        default: return nil
        }
        return try? SearchQuery(parsing: text)
    }

    private func messages(_ page: VisibleMessages.Page, start: Int) async throws -> Response {
        let items = try await full(page.messages)
        return CompatJSON.response(
            MailHog.Messages(total: page.total, count: items.count, start: start, items: items),
            contentType: Self.jsonType)
    }

    /// The full messages of a page, in its order (each needs its bytes).
    private func full(_ summaries: [MessageSummary]) async throws -> [MailHog.Message] {
        let store = dependencies.store
        return try await withThrowingTaskGroup(of: (Int, MailHog.Message?).self) { group in
            for (index, summary) in summaries.enumerated() {
                group.addTask { (index, try await store.message(id: summary.id).map(MailHog.Message.init)) }
            }
            var messages: [(Int, MailHog.Message)] = []
            for try await (index, message) in group {
                if let message { messages.append((index, message)) }
            }
            return messages.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}

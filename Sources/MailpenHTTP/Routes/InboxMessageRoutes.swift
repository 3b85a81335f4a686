import Hummingbird
import MailpenStore

/// `GET` and `DELETE /api/v1/inboxes/{inbox}/messages`: an inbox's messages, searched and paged, or deleted.
struct InboxMessageRoutes {
    let dependencies: MailpenHTTP.Dependencies

    private var store: any MailpenStore { dependencies.store }

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("inboxes/:inbox/messages", use: list)
        group.delete("inboxes/:inbox/messages", use: delete)
    }

    @Sendable func list(_ request: Request, context: MailpenRequestContext) async throws -> MessageListResource {
        let query = try request.messageQuery(context)
        let limit = try request.query("limit", as: Int.self) ?? 50
        let offset = try request.query("offset", as: Int.self) ?? 0
        guard (1...1000).contains(limit) else { throw APIError.badRequest("limit must be between 1 and 1000") }
        guard (0...1_000_000_000).contains(offset) else {
            throw APIError.badRequest("offset must be between 0 and 1000000000")
        }
        return MessageListResource(try await store.messages(query, limit: limit, offset: offset))
    }

    @Sendable func delete(_ request: Request, context: MailpenRequestContext) async throws -> DeleteResource {
        let query = try request.messageQuery(context)
        // A `q` of only separators (a stray newline or NUL from a script) has no terms, and would delete all.
        if query.search.terms.isEmpty, let text = try request.queryValue("q"), !text.isEmpty {
            throw APIError.badRequest("q has no search terms; leave q out to delete every message")
        }
        return DeleteResource(deleted: try await store.deleteMessages(query))
    }
}

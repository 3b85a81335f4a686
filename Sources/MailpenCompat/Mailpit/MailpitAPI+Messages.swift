import Foundation
import Hummingbird
import MailpenMIME
import MailpenStore

extension MailpitAPI {
    /// `/api/v1/messages` (list, mark read, delete) and `/api/v1/search` (search, delete matches).
    func registerMessages(on router: Router<Context>) {
        router.get("api/v1/messages") { request, context in
            try await answer {
                let (start, limit) = Self.startAndLimit(request)
                return CompatJSON.response(try await summaries(.all, start: start, limit: limit, context))
            }
        }
        router.put("api/v1/messages") { request, context in
            try await answer {
                // Go decodes the body as JSON whatever its type; a form or an empty body is an error (400).
                let body = try LenientJSONObject(try await request.bodyBytes())
                let read = try body.bool("Read") ?? false
                let ids = try body.strings("IDs") ?? []
                let search = try body.string("Search") ?? ""
                if !ids.isEmpty && !search.isEmpty {
                    throw CompatError(
                        status: .badRequest, message: "You may specify either IDs or a search query, not both")
                }
                let visible = visible(context)
                if !ids.isEmpty {
                    try await visible.update(ids: ids, isRead: read, tags: nil)
                } else {
                    // No IDs: every message (of the search), but only those whose flag changes.
                    _ = try SearchQuery(parsing: search)
                    let query = try SearchQuery(parsing: search + (read ? " is:unread" : " is:read"))
                    try await visible.update(ids: try await visible.allIDs(query), isRead: read, tags: nil)
                }
                return PlainText.ok
            }
        }
        router.delete("api/v1/messages") { request, context in
            try await answer {
                // Mailpit deletes everything when the body holds no IDs, and also when it is not JSON at all
                // (empty, or a form, as some clients send it).
                let bytes = try await request.bodyBytes()
                let ids = (try? LenientJSONObject(bytes)).flatMap { try? $0.strings("IDs") } ?? []
                if ids.isEmpty {
                    try await visible(context).delete(.all)
                } else {
                    try await visible(context).delete(ids: ids)
                }
                return PlainText.ok
            }
        }
        router.get("api/v1/search") { request, context in
            try await answer {
                let search = try Self.searchQuery(request)
                let (start, limit) = Self.startAndLimit(request)
                return CompatJSON.response(try await summaries(search, start: start, limit: limit, context))
            }
        }
        router.delete("api/v1/search") { request, context in
            try await answer {
                try await visible(context).delete(try Self.searchQuery(request))
                return PlainText.ok
            }
        }
    }

    /// The `query` of the search routes. One without terms is refused, as Mailpit refuses an empty one: a
    /// query of only separators (a newline, a NUL) would match every message, and `DELETE` delete them all.
    static func searchQuery(_ request: Request) throws -> SearchQuery {
        let search = try SearchQuery(parsing: request.queryParameter("query") ?? "")
        guard !search.terms.isEmpty else { throw CompatError(status: .badRequest, message: "Error: no search query") }
        return search
    }

    /// A page in Mailpit's shape: the matches, their counts, the mailbox's totals and every tag.
    func summaries(_ search: SearchQuery, start: Int, limit: Int, _ context: Context) async throws
        -> Mailpit.MessagesSummary
    {
        let visible = visible(context)
        let page = try await visible.page(search, start: start, limit: limit)
        let totals = try await visible.totals()
        let tags = try await visible.tagCounts().keys.sorted { $0.lowercased() < $1.lowercased() }
        let store = dependencies.store
        let entries = try await withThrowingTaskGroup(of: (Int, Mailpit.MessageSummary).self) { group in
            for (index, summary) in page.messages.enumerated() {
                group.addTask {
                    let stored = try await store.message(id: summary.id)
                    let header = stored.map { HeaderBlock.parse($0.raw) }
                    return (index, Mailpit.MessageSummary(summary, header: header, envelope: stored?.envelope))
                }
            }
            var entries: [(Int, Mailpit.MessageSummary)] = []
            for try await entry in group { entries.append(entry) }
            return entries.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return Mailpit.MessagesSummary(
            total: totals.total, unread: totals.unread, count: entries.count, messagesCount: page.total,
            messagesUnread: page.unread, start: start, tags: tags, messages: entries)
    }
}

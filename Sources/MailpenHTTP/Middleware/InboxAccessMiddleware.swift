import Foundation
import HTTPTypes
import Hummingbird
import MailpenCompat
import MailpenStore

/// Keeps a request that an inbox credential opened inside that inbox on Mailpen's own API: its inbox's
/// routes and the messages that belong to it, the inbox list showing it alone, events of it alone. Anything
/// else under `/api/` (other inboxes, creating, changing or deleting inboxes, metrics, routes added later) is
/// refused unless it is listed here: an inbox credential reaches only what it is known to be safe for. The
/// Mailpit routes apply the access themselves, and the web UI's files are not mail.
struct InboxAccessMiddleware: RouterMiddleware {
    typealias Context = MailpenRequestContext

    let dependencies: MailpenHTTP.Dependencies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard case .inbox(let name) = context.inboxAccess else { return try await next(request, context) }
        let path = request.uri.path
        if BasicAuthenticationMiddleware.probePaths.contains(path) || MailpitAPI<Context>.handles(path: path)
            || path == "/api/v1/openapi.json"
        {
            return try await next(request, context)
        }
        guard path.hasPrefix("/api/") || path == "/metrics" else { return try await next(request, context) }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        // ["api", "v1", collection, …]
        guard segments.count >= 3, segments[0] == "api", segments[1] == "v1" else { return Self.refusal(name) }
        let rest = Array(segments.dropFirst(2))
        switch (rest.first, rest.count) {
        case ("inboxes", 1):
            guard request.method == .get || request.method == .head else { return Self.refusal(name) }
            guard let inbox = try await dependencies.store.inbox(named: name) else { return Self.refusal(name) }
            let resource = InboxResource(
                inbox, smtp: dependencies.smtp, pop3: dependencies.pop3, imap: dependencies.imap)
            return try InboxListResource(inboxes: [resource]).response(from: request, context: context)
        case ("inboxes", _):
            let named = rest[1].removingPercentEncoding ?? rest[1]
            guard named.caseInsensitiveCompare(name) == .orderedSame else { return Self.refusal(name) }
            // The inbox itself may be read, not changed or deleted (its routes could take other inboxes' mail).
            if rest.count == 2, request.method != .get, request.method != .head { return Self.refusal(name) }
            // Webhooks make this server post anywhere, loopback included: only the operator sets them.
            if rest.count >= 3, rest[2] == "webhooks", request.method != .get, request.method != .head {
                return Self.refusal(name)
            }
            return try await next(request, context)
        case ("messages", 2...):
            let id = rest[1].removingPercentEncoding ?? rest[1]
            guard let summary = try await dependencies.store.summary(id: id),
                context.inboxAccess.allows(inbox: summary.inbox)
            else {
                throw StoreError.messageNotFound(id)
            }
            return try await next(request, context)
        case ("events", 1):
            let inbox = try request.queryValue("inbox")
            if let inbox, inbox.caseInsensitiveCompare(name) != .orderedSame { return Self.refusal(name) }
            guard inbox == nil else { return try await next(request, context) }
            var head = request.head
            let query = request.uri.query.map { $0 + "&" } ?? ""
            head.path =
                request.uri.path + "?" + query + "inbox="
                + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)
            return try await next(Request(head: head, body: request.body), context)
        default:
            return Self.refusal(name)
        }
    }

    static func refusal(_ inbox: String) -> Response {
        APIError.jsonResponse(status: .forbidden, message: InboxAccess.inbox(inbox).refusalReason ?? "")
    }
}

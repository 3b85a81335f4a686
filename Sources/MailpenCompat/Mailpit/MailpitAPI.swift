import Foundation
import HTTPTypes
import Hummingbird
import MailpenStore
import NIOCore

/// Mailpit's API v1 at Mailpit's own paths, over the store: what Mailpit's clients (cypress-mailpit,
/// mailpit-api, mailpit-api-client, pytest-mailpit …) call, answered in Mailpit's shapes and with its
/// quirks. Errors are plain text as Mailpit writes them; an unknown message is `404 page not found`.
public struct MailpitAPI<Context: CompatRequestContext>: Sendable {
    let dependencies: CompatDependencies

    public init(dependencies: CompatDependencies) {
        self.dependencies = dependencies
    }

    /// Adds every route to the router.
    public func register(on router: Router<Context>) {
        router.add(middleware: AllowedMethodsMiddleware<Context>(Self.routeMethods))
        registerMessages(on: router)
        registerMessage(on: router)
        registerChecks(on: router)
        registerTags(on: router)
        registerSend(on: router)
        registerApplication(on: router)
        registerEvents(on: router)
    }

    /// Every route and its methods (HEAD is answered wherever GET is).
    static var routeMethods: [String: Set<String>] {
        [
            "api/v1/messages": ["GET", "HEAD", "PUT", "DELETE"], "api/v1/search": ["GET", "HEAD", "DELETE"],
            "api/v1/message/:id": ["GET", "HEAD"], "api/v1/message/:id/headers": ["GET", "HEAD"],
            "api/v1/message/:id/raw": ["GET", "HEAD"], "api/v1/message/:id/part/:part": ["GET", "HEAD"],
            "api/v1/message/:id/part/:part/thumb": ["GET", "HEAD"], "api/v1/message/:id/release": ["POST"],
            "api/v1/message/:id/html-check": ["GET", "HEAD"], "api/v1/message/:id/link-check": ["GET", "HEAD"],
            "api/v1/message/:id/sa-check": ["GET", "HEAD"], "api/v1/send": ["POST"],
            "api/v1/tags": ["GET", "HEAD", "PUT"],
            "api/v1/tags/:tag": ["PUT", "DELETE"], "api/v1/chaos": ["GET", "HEAD", "PUT"],
            "api/v1/info": ["GET", "HEAD"],
            "api/v1/webui": ["GET", "HEAD"], "view/:file": ["GET", "HEAD"], "api/events": ["GET", "HEAD"],
            "livez": ["GET", "HEAD"], "readyz": ["GET", "HEAD"],
        ]
    }

    /// Whether a path is one of Mailpit's (the access middleware lets these through and the routes apply the
    /// request's inbox access themselves).
    public static func handles(path: String) -> Bool {
        let exact: Set<String> = [
            "/api/v1/messages", "/api/v1/search", "/api/v1/send", "/api/v1/tags", "/api/v1/chaos", "/api/v1/info",
            "/api/v1/webui", "/api/events", "/livez", "/readyz",
        ]
        return exact.contains(path) || path.hasPrefix("/api/v1/message/") || path.hasPrefix("/api/v1/tags/")
            || path.hasPrefix("/view/")
    }

    func visible(_ context: Context) -> VisibleMessages {
        VisibleMessages(store: dependencies.store, access: context.inboxAccess)
    }

    /// Runs a handler, answering the failures Mailpit answers as text: a bad body or search is a 400 with
    /// the reason, an unknown message `404 page not found`. Anything else goes on to the server's own
    /// error handling (a 500 that names no internals).
    func answer(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as CompatError {
            return PlainText.response(error.status, error.message)
        } catch let error as LenientJSONObject.Invalid {
            return PlainText.badRequest(error.message)
        } catch let error as SearchSyntaxError {
            return PlainText.badRequest(error.description)
        } catch let failure as VisibleMessages.Failure {
            return PlainText.badRequest(failure.reason)
        } catch StoreError.messageNotFound {
            return PlainText.notFound
        } catch let error as StoreError {
            switch error {
            case .invalidTag, .tooManyTags, .invalidInboxName, .inboxNotFound:
                return PlainText.badRequest(error.description)
            default: throw error
            }
        }
    }

    /// The message a path's `ID` names, `latest` being the newest visible one (matching `?query=` if
    /// given); a missing or invisible message is `nil`.
    func resolveID(_ request: Request, _ context: Context) async throws -> String? {
        let id = context.parameters.get("id") ?? ""
        guard id == "latest" else { return id }
        let search = try SearchQuery(parsing: request.queryParameter("query") ?? "")
        return try await visible(context).latest(search)?.id
    }

    /// The stored message a path names, or the 404 Mailpit answers: `latest` without mail says
    /// `Message not found`, an unknown id `404 page not found`.
    func storedMessage(_ request: Request, _ context: Context) async throws -> StoredMessage {
        guard let id = try await resolveID(request, context) else {
            throw CompatError(status: .notFound, message: "Message not found")
        }
        guard let stored = try await visible(context).message(id: id) else { throw StoreError.messageNotFound(id) }
        return stored
    }

    /// Mailpit reads `start` and `limit` leniently: anything that is not a whole number in range is the default.
    static func startAndLimit(_ request: Request) -> (start: Int, limit: Int) {
        var start = 0
        var limit = 50
        if let text = request.queryParameter("start"), let number = Int(text), number > 0 { start = number }
        if let text = request.queryParameter("limit"), let number = Int(text), number > 0 {
            limit = min(number, Self.maximumLimit)
        }
        return (start, limit)
    }

    /// The most messages one page holds (Mailpit has no limit; a page of a million would only hurt).
    static var maximumLimit: Int { 5000 }
}

import Foundation
import HTTPTypes
import Hummingbird
import MailpenStore
import ServiceLifecycle

/// `GET /api/v1/inboxes/{inbox}/wait`: blocks until `count` messages match a search (already stored ones
/// count) and returns them: the one-line assertion of a CI job. A timeout is a 408 that says how close it
/// came; a client that goes away ends the wait.
struct WaitRoute {
    let dependencies: MailpenHTTP.Dependencies

    private var store: any MailpenStore { dependencies.store }

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("inboxes/:inbox/wait", use: wait)
    }

    @Sendable func wait(_ request: Request, context: MailpenRequestContext) async throws -> Response {
        let query = try request.messageQuery(context)
        let count = try request.query("count", as: Int.self) ?? 1
        let timeout = try request.query("timeout", as: Double.self) ?? 30
        guard (1...1000).contains(count) else { throw APIError.badRequest("count must be between 1 and 1000") }
        guard timeout >= 0, timeout <= 300 else {
            throw APIError.badRequest("timeout must be between 0 and 300 seconds")
        }
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
            var response = try WaitResource(messages: messages).response(
                from: request, context: context)
            response.headers[.connection] = "close"
            return response
        } catch StoreError.timedOut {
            let message = await timeoutMessage(
                query, search: try? request.queryValue("q"), count: count, timeout: timeout)
            return APIError.jsonResponse(status: .requestTimeout, message: message, headers: closing)
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return APIError.jsonResponse(
                status: .serviceUnavailable, message: "the server is shutting down; wait again once it is back",
                headers: closing)
        }
    }

    /// What was waited for and how close it came, so that a failed CI step explains itself.
    private func timeoutMessage(_ query: MessageQuery, search: String?, count: Int, timeout: Double) async -> String {
        let matched = (try? await store.messages(query, limit: 0).total) ?? 0
        let described = search.map { $0.isEmpty ? "any message" : "'\($0)'" } ?? "any message"
        let seconds = timeout.rounded() == timeout ? String(Int(timeout)) : String(timeout)
        return "timed out after \(seconds) s waiting for \(count) message\(count == 1 ? "" : "s") "
            + "matching \(described) in inbox '\(query.inbox)'; \(matched) matched"
    }
}

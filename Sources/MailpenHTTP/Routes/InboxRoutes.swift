import Foundation
import HTTPTypes
import Hummingbird
import MailpenMIME
import MailpenStore
import ServiceLifecycle

/// `/api/v1/inboxes[/{inbox}]`: listing, creating, changing and deleting inboxes.
struct InboxRoutes {
    let dependencies: MailpenHTTP.Dependencies

    private var store: any MailpenStore { dependencies.store }

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("inboxes") { _, _ in
            InboxListResource(inboxes: try await store.inboxes().map(resource))
        }
        group.post("inboxes") { request, context in
            let body = try await request.decodeJSON(as: InboxCreateRequest.self)
            try Self.validate(maximumMessages: body.maximumMessages, maximumAgeSeconds: body.maximumAgeSeconds, password: body.password)
            let inbox = try await store.createInbox(
                named: body.name, password: body.password, maximumMessages: body.maximumMessages,
                maximumAgeSeconds: body.maximumAgeSeconds, routes: body.routes ?? [])
            return EditedResponse(status: .created, response: resource(inbox))
        }
        group.get("inboxes/:inbox") { _, context in
            resource(try await inbox(context))
        }
        group.patch("inboxes/:inbox") { request, context in
            let body = try await request.decodeJSON(as: InboxUpdateRequest.self)
            try Self.validate(maximumMessages: body.maximumMessages ?? nil, maximumAgeSeconds: body.maximumAgeSeconds ?? nil, password: body.password)
            let name = try context.pathParameter("inbox")
            let inbox = try await store.updateInbox(
                named: name,
                .init(password: body.password, maximumMessages: body.maximumMessages, maximumAgeSeconds: body.maximumAgeSeconds, routes: body.routes))
            return resource(inbox)
        }
        group.delete("inboxes/:inbox") { _, context in
            try await store.deleteInbox(named: try context.pathParameter("inbox"))
            return Response(status: .noContent)
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

    private static func validate(maximumMessages: Int?, maximumAgeSeconds: Int?, password: String?) throws {
        if let maximumMessages, !(0...1_000_000_000).contains(maximumMessages) {
            throw APIError.badRequest("maxMessages must be between 0 and 1000000000")
        }
        if let maximumAgeSeconds, !(1...3_153_600_000).contains(maximumAgeSeconds) {
            throw APIError.badRequest("maxAgeSeconds must be between 1 and 3153600000")
        }
        if let password, password.unicodeScalars.isEmpty || password.unicodeScalars.count > 256 {
            throw APIError.badRequest("password must have 1 to 256 characters")
        }
    }
}

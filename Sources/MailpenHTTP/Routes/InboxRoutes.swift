import Foundation
import HTTPTypes
import Hummingbird
import MailpenMIME
import MailpenRelay
import MailpenStore
import ServiceLifecycle

/// `/api/v1/inboxes[/{inbox}]`: listing, creating, changing and deleting inboxes.
struct InboxRoutes {
    let dependencies: MailpenHTTP.Dependencies

    private var store: any MailpenStore { dependencies.store }

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("inboxes") { _, _ in
            InboxListResource(inboxes: try await store.inboxes().map { resource($0) })
        }
        group.post("inboxes") { request, context in
            let body = try await request.decodeJSON(as: InboxCreateRequest.self)
            try Self.validate(
                maximumMessages: body.maximumMessages, maximumAgeSeconds: body.maximumAgeSeconds,
                password: body.password)
            let inbox = try await store.createInbox(
                named: body.name, password: body.password, maximumMessages: body.maximumMessages,
                maximumAgeSeconds: body.maximumAgeSeconds, routes: body.routes ?? [])
            return EditedResponse(status: .created, response: resource(inbox))
        }
        group.get("inboxes/:inbox") { _, context in
            let inbox = try await inbox(context)
            return resource(inbox, autoRelay: try await autoRelayRules(inbox.name))
        }
        group.patch("inboxes/:inbox") { request, context in
            let body = try await request.decodeJSON(as: InboxUpdateRequest.self)
            try Self.validate(
                maximumMessages: body.maximumMessages ?? nil, maximumAgeSeconds: body.maximumAgeSeconds ?? nil,
                password: body.password)
            let name = try context.pathParameter("inbox")
            let rules = body.autoRelay?.map(\.rule)
            if let rules, !rules.isEmpty {
                // Checked before anything changes, so that a bad rule leaves the inbox as it was.
                guard let relays = dependencies.relays else { throw RelayError.noRelays }
                try relays.validate(rules)
            }
            var inbox = try await store.updateInbox(
                named: name,
                .init(
                    password: body.password, maximumMessages: body.maximumMessages,
                    maximumAgeSeconds: body.maximumAgeSeconds, routes: body.routes))
            if let rules {
                if let relays = dependencies.relays {
                    try await relays.setAutoRelayRules(rules, inbox: inbox.name)
                } else if let queue = store as? any DeliveryQueue {
                    try await queue.setAutoRelayRules(rules, inbox: inbox.name)
                }
                inbox = try await store.inbox(named: inbox.name) ?? inbox
            }
            return resource(inbox, autoRelay: try await autoRelayRules(inbox.name))
        }
        group.delete("inboxes/:inbox") { _, context in
            try await store.deleteInbox(named: try context.pathParameter("inbox"))
            return Response(status: .noContent)
        }
    }

    private func resource(_ inbox: Inbox, autoRelay: [AutoRelayRule]? = nil) -> InboxResource {
        InboxResource(
            inbox, smtp: dependencies.smtp, autoRelay: autoRelay, pop3: dependencies.pop3, imap: dependencies.imap)
    }

    /// An inbox's auto-relay rules, when the store keeps them.
    private func autoRelayRules(_ name: String) async throws -> [AutoRelayRule]? {
        guard let queue = store as? any DeliveryQueue else { return nil }
        return try await queue.autoRelayRules(inbox: name)
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
        // A control character (a NUL, which the stores end text at) would keep a password other than the one given.
        if let password,
            password.unicodeScalars.isEmpty || password.unicodeScalars.count > 256
                || StoredText.hasControlCharacter(password)
        {
            throw APIError.badRequest("password must have 1 to 256 characters, none of them control characters")
        }
    }
}

import Foundation
import Hummingbird
import MailpenStore

/// Each inbox's webhooks and their deliveries: `GET`/`PUT /inboxes/{inbox}/webhooks` and
/// `GET /inboxes/{inbox}/webhooks/deliveries`.
struct WebhookRoutes {
    let dependencies: MailpenHTTP.Dependencies

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.get("inboxes/:inbox/webhooks") { _, context in
            let inbox = try context.pathParameter("inbox")
            return WebhookListResource(webhooks: try await queue.webhooks(inbox: inbox).map(WebhookResource.init))
        }
        group.put("inboxes/:inbox/webhooks") { request, context in
            let inbox = try context.pathParameter("inbox")
            let body = try await request.decodeJSON(as: WebhookListRequest.self)
            let current = try await queue.webhooks(inbox: inbox)
            let webhooks = try body.webhooks.map { try $0.webhook(current: current) }
            try await queue.setWebhooks(webhooks, inbox: inbox)
            return WebhookListResource(webhooks: try await queue.webhooks(inbox: inbox).map(WebhookResource.init))
        }
        group.get("inboxes/:inbox/webhooks/deliveries") { request, context in
            let inbox = try context.pathParameter("inbox")
            var status: WebhookDelivery.Status?
            if let text = try request.queryValue("status") {
                guard let parsed = WebhookDelivery.Status(rawValue: text) else {
                    throw APIError.badRequest("status must be queued, sending, sent or failed, not '\(text)'")
                }
                status = parsed
            }
            var limit = 100
            if let text = try request.queryValue("limit") {
                guard let number = Int(text), (1...WebhookLimits.maximumListing).contains(number) else {
                    throw APIError.badRequest("limit must be a number from 1 to \(WebhookLimits.maximumListing)")
                }
                limit = number
            }
            let deliveries = try await queue.webhookDeliveries(inbox: inbox, status: status, limit: limit)
            return WebhookDeliveryListResource(deliveries: deliveries.map(WebhookDeliveryResource.init))
        }
    }

    /// The store's webhook queue (both backends keep one).
    private var queue: any WebhookQueue {
        get throws {
            guard let queue = dependencies.store as? any WebhookQueue else {
                throw APIError(.notImplemented, "this store does not keep webhooks")
            }
            return queue
        }
    }
}

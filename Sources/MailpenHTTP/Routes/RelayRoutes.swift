import Foundation
import Hummingbird
import MailpenRelay
import MailpenStore

/// Releasing captured mail to configured relays and following its deliveries:
/// `POST /messages/{id}/release`, `GET /messages/{id}/deliveries`, `GET /deliveries`, `GET /relays`.
struct RelayRoutes {
    let dependencies: MailpenHTTP.Dependencies

    func register(on group: RouterGroup<MailpenRequestContext>) {
        group.post("messages/:id/release") { request, context in
            let body = try await request.decodeJSON(as: ReleaseRequest.self)
            let id = try context.pathParameter("id")
            guard let relays = dependencies.relays else { throw RelayError.noRelays }
            let deliveries = try await relays.release(messageID: id, relay: body.relay, to: body.to)
            return EditedResponse(
                status: .accepted, response: DeliveryListResource(deliveries: deliveries.map(DeliveryResource.init)))
        }
        group.get("messages/:id/deliveries") { _, context in
            let id = try context.pathParameter("id")
            let deliveries = try await queue.deliveries(messageID: id)
            if deliveries.isEmpty, try await dependencies.store.summary(id: id) == nil {
                throw StoreError.messageNotFound(id)
            }
            return DeliveryListResource(deliveries: deliveries.map(DeliveryResource.init))
        }
        group.get("deliveries") { request, _ in
            var status: Delivery.Status?
            if let text = try request.queryValue("status") {
                guard let parsed = Delivery.Status(rawValue: text) else {
                    throw APIError.badRequest("status must be queued, sending, sent or failed, not '\(text)'")
                }
                status = parsed
            }
            var limit = 100
            if let text = try request.queryValue("limit") {
                guard let number = Int(text), (1...DeliveryLimits.maximumListing).contains(number) else {
                    throw APIError.badRequest("limit must be a number from 1 to \(DeliveryLimits.maximumListing)")
                }
                limit = number
            }
            let relay = try request.queryValue("relay")
            let deliveries = try await queue.deliveries(status: status, relay: relay, limit: limit)
            return DeliveryListResource(deliveries: deliveries.map(DeliveryResource.init))
        }
        group.get("relays") { _, _ in
            RelayListResource(relays: dependencies.relays?.configuration.relays.map(RelayResource.init) ?? [])
        }
    }

    /// The store's delivery queue (every backend that carries releases has one).
    private var queue: any DeliveryQueue {
        get throws {
            guard let queue = dependencies.store as? any DeliveryQueue else {
                throw APIError(.notImplemented, "this store does not keep a delivery queue")
            }
            return queue
        }
    }
}

import MailpenHTTP
import MailpenRelay
import MailpenStore
import MailpenWebhooks

extension MailpenServer {
    /// Starts pushing events to the inboxes' webhooks, when the store keeps a webhook queue.
    func startWebhooks(store: any MailpenStore) async throws {
        guard let queue = store as? any WebhookQueue else { return }
        var configuration = WebhookService.Configuration()
        // A shared database may have another node's attempt in flight: only clearly abandoned ones resume.
        if !(store is SQLiteStore) { configuration.startupRecoveryAge = configuration.staleClaimAge }
        let service = WebhookService(
            store: store, queue: queue,
            representation: .init(summary: APIObjectJSON.summary, delivery: APIObjectJSON.delivery),
            deliveryChanges: relays?.deliveryChanges(), configuration: configuration,
            logger: logger)
        try await service.start()
        webhooks = service
    }
}

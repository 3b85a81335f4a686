import MailpenHTTP
import MailpenStore

/// Counts deleted messages for the metrics (and Mailpit's runtime statistics) from the store's change feed:
/// every way of deleting (the APIs, POP3, IMAP, retention) publishes there, so none can forget to count.
/// Only this process's own changes count, as runtime statistics should. An inbox deleted whole is not
/// counted: its deletion carries no message count.
struct DeletionCounter: Sendable {
    let store: any MailpenStore
    let metrics: MailpenMetrics

    /// Only deletions wake the counter, not every message stored.
    private static let isDeletion: StoreEventFilter = { event in
        if case .deleted = event { return true }
        return false
    }

    /// Subscribes at once (deletions from now on are seen) and counts until the task is cancelled or the
    /// store closes.
    func start() async -> Task<Void, Never> {
        let first = await store.subscribeToOwnChanges(bufferSize: 4096, where: Self.isDeletion)
        return Task { [store, metrics] in
            var events = first
            while !Task.isCancelled {
                do {
                    for try await case .deleted(_, let ids) in events { metrics.messagesDeleted(count: ids.count) }
                    return
                } catch ChangeFeedError.fellBehind {
                    // A burst outran the counter: what it missed is lost, later deletions still count.
                    events = await store.subscribeToOwnChanges(bufferSize: 4096, where: Self.isDeletion)
                } catch {
                    return
                }
            }
        }
    }
}

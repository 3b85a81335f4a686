import MailpenStore
import Synchronization

/// Which store changes the webhook service wants to hear of, decided as each change is published, so that
/// the service does not wake for every message stored in an inbox without webhooks (most of them).
///
/// A webhook set on an inbox is announced by an inbox event. From that event until the service has read
/// the webhooks again, every change passes: one stored meanwhile in the newly watched inbox is not lost.
/// A generation counter tells whether another inbox event came while the service was reading.
final class WebhookInterest: Sendable {
    private struct State {
        /// Lowercased names of the inboxes with webhooks, as last read.
        var inboxes: Set<String> = []
        /// Inbox events seen so far.
        var generation = 0
        /// Everything passes until the webhooks read reflect every inbox event seen.
        var passesAll = true
    }

    private let state = Mutex(State())

    /// The filter for the store's change feed.
    var filter: StoreEventFilter {
        { [self] event in self.wants(event) }
    }

    private func wants(_ event: StoreEvent) -> Bool {
        state.withLock { state in
            switch event {
            case .inbox:
                state.generation += 1
                state.passesAll = true
                return true
            case .updated:
                return false
            case .stored, .deleted, .cleared:
                return state.passesAll || state.inboxes.contains(event.inboxName.lowercased())
            }
        }
    }

    /// The number of inbox events seen: read it before reading the webhooks.
    var generation: Int {
        state.withLock { $0.generation }
    }

    /// Records the inboxes with webhooks, as read after `generation`; events are filtered by them from now
    /// on unless another inbox event came meanwhile.
    func update(inboxes: some Sequence<String>, readAfter generation: Int) {
        state.withLock { state in
            state.inboxes = Set(inboxes.map { $0.lowercased() })
            if state.generation == generation { state.passesAll = false }
        }
    }

    /// Lets every change pass until the next ``update(inboxes:readAfter:)`` (changes were missed, an inbox
    /// event perhaps among them).
    func passEverything() {
        state.withLock { $0.passesAll = true }
    }
}

import Foundation
import MailpenStore
import Synchronization

/// Hands every change of a delivery to whoever follows them (the server-sent events), newest kept when a
/// follower is slow: a delivery's latest state is what matters.
final class DeliveryEventFeed: Sendable {
    private let followers = Mutex<[UUID: AsyncStream<Delivery>.Continuation]>([:])

    func subscribe() -> AsyncStream<Delivery> {
        let (stream, continuation) = AsyncStream.makeStream(of: Delivery.self, bufferingPolicy: .bufferingNewest(1024))
        let key = UUID()
        continuation.onTermination = { [weak self] _ in
            _ = self?.followers.withLock { $0.removeValue(forKey: key) }
        }
        followers.withLock { $0[key] = continuation }
        return stream
    }

    func publish(_ delivery: Delivery) {
        for follower in followers.withLock({ Array($0.values) }) { follower.yield(delivery) }
    }

    func finish() {
        for follower in followers.withLock({ Array($0.values) }) { follower.finish() }
    }
}

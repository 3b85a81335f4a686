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

/// Wakes the sender early: when a delivery is queued or an attempt ends. A ring while nobody waits is kept
/// for the next wait.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next ring (or at once if one is pending) or after `timeout`.
    func wait(timeout: Duration) async {
        let timer = Task { [weak self] in
            // A cancelled timer must not ring: that ring would cut the next wait short.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.ring()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

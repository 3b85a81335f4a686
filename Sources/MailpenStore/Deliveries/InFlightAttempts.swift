/// How a delivery sender (the relay's or the webhooks') lets its attempts in flight finish when it stops:
/// each is waited for in turn, all within one grace period.
package enum InFlightAttempts {
    /// Returns once every one of `attempts` has finished, or once `grace` has passed; the caller decides
    /// what becomes of those still running.
    package static func finish(_ attempts: [Task<Void, Never>], within grace: Duration) async {
        let deadline = ContinuousClock.now + grace
        for attempt in attempts {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { break }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await attempt.value }
                group.addTask { try? await Task.sleep(for: remaining) }
                await group.next()
                group.cancelAll()
            }
        }
    }
}

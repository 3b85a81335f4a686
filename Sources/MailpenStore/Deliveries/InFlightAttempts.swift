import Synchronization

/// How a delivery sender (the relay's or the webhooks') lets its attempts in flight finish when it stops:
/// all within one grace period, however long an attempt would go on.
package enum InFlightAttempts {
    /// Returns once every one of `attempts` has finished, or once `grace` has passed; the caller decides
    /// what becomes of those still running.
    package static func finish(_ attempts: [Task<Void, Never>], within grace: Duration) async {
        guard !attempts.isEmpty, grace > .zero else { return }
        // Waiting on a task's value does not end when the waiting task is cancelled, so a task group that
        // raced the attempts against a timer would still wait for the slowest attempt. Whichever of the two
        // ends first resumes this call instead; the other ends on its own.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resume = ResumeOnce(continuation)
            let timer = Task {
                try? await Task.sleep(for: grace)
                resume()
            }
            Task {
                for attempt in attempts { await attempt.value }
                timer.cancel()
                resume()
            }
        }
    }
}

/// Resumes a continuation the first time it is called, from whichever task gets there first.
private final class ResumeOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<Void, Never>?>

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = Mutex(continuation)
    }

    func callAsFunction() {
        continuation.withLock { $0.take() }?.resume()
    }
}

import Synchronization
import Testing

@testable import MailpenStore

@Suite("Attempts in flight at a stop")
struct InFlightAttemptsTests {
    /// An attempt that goes on whatever happens (a network client that does not see cancellation): the
    /// stop waits for it only as long as its grace, and returns while it still runs.
    @Test func anAttemptThatGoesOnHoldsTheStopOnlyForTheGrace() async {
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let ended = Flag()
        let stuck = Task {
            // Detached: cancelling the attempt does not end it, as with the SMTP client.
            await Task.detached {
                for await _ in gate {}
                ended.set()
            }.value
        }
        // Released after 20 s in any case, so that a stop that waited for it fails instead of hanging.
        let release = Task {
            try? await Task.sleep(for: .seconds(20))
            open.finish()
        }
        let started = ContinuousClock.now
        await InFlightAttempts.finish([stuck], within: .milliseconds(200))
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        let endedFirst = ended.isSet
        #expect(!endedFirst, "the stop waited for the attempt to end")
        open.finish()
        release.cancel()
        await stuck.value
    }

    @Test func attemptsThatFinishEndTheWaitAtOnce() async {
        let quick = (0..<3).map { number in Task { _ = try? await Task.sleep(for: .milliseconds(20 * number)) } }
        let started = ContinuousClock.now
        await InFlightAttempts.finish(quick, within: .seconds(30))
        #expect(ContinuousClock.now - started < .seconds(15))
        for attempt in quick { #expect(attempt.isCancelled == false) }
    }
}

/// A flag set from one task and read from another.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }

    func set() { value.store(true, ordering: .sequentiallyConsistent) }
}

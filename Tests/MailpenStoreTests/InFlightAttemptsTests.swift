import Testing

@testable import MailpenStore

@Suite("Attempts in flight at a stop")
struct InFlightAttemptsTests {
    /// An attempt that goes on whatever happens (a network client that does not see cancellation): the
    /// stop waits for it only as long as its grace.
    @Test func anAttemptThatGoesOnHoldsTheStopOnlyForTheGrace() async {
        let stuck = Task { _ = await Task.detached { try? await Task.sleep(for: .seconds(5)) }.value }
        let started = ContinuousClock.now
        await InFlightAttempts.finish([stuck], within: .milliseconds(200))
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200) && waited < .seconds(2), "waited \(waited)")
        stuck.cancel()
    }

    @Test func attemptsThatFinishEndTheWaitAtOnce() async {
        let quick = (0..<3).map { number in Task { _ = try? await Task.sleep(for: .milliseconds(20 * number)) } }
        let started = ContinuousClock.now
        await InFlightAttempts.finish(quick, within: .seconds(30))
        #expect(ContinuousClock.now - started < .seconds(5))
        for attempt in quick { #expect(attempt.isCancelled == false) }
    }
}

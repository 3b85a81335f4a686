import Testing

@testable import MailpenPostgres

/// When PostgreSQL's indexer fills search texts: a trickle at once, a burst once commits pause or the
/// oldest message has waited the longest delay, and anything at once while a request waits for mail.
@Suite("PostgreSQL: pacing the search texts")
struct IndexPacingTests {
    let pacing = IndexPacing()

    func decide(
        backlog: Int, sinceLastCommit: Duration = .milliseconds(1), sinceLastPass: Duration = .seconds(10),
        sinceOldest: Duration = .milliseconds(1), isUrgent: Bool = false
    ) -> IndexPacing.Decision {
        pacing.decide(
            backlog: backlog, sinceLastCommit: sinceLastCommit, sinceLastPass: sinceLastPass,
            sinceOldest: sinceOldest, isUrgent: isUrgent)
    }

    @Test func aTrickleIsFilledAtOnce() {
        #expect(decide(backlog: 1) == .now)
        #expect(decide(backlog: pacing.burstBacklog - 1) == .now)
    }

    @Test func passesAreAnIntervalApartWhileMailKeepsComing() {
        #expect(decide(backlog: 3, sinceLastPass: .milliseconds(5)) == .after(pacing.interval - .milliseconds(5)))
        #expect(decide(backlog: 3, sinceLastPass: pacing.interval) == .now)
    }

    @Test func aBurstWaitsForCommitsToPause() {
        let burst = pacing.burstBacklog
        #expect(decide(backlog: burst, sinceLastCommit: .milliseconds(2)) == .after(pacing.quiet - .milliseconds(2)))
        #expect(decide(backlog: burst * 100, sinceLastCommit: pacing.quiet) == .now)
    }

    @Test func aBurstThatDoesNotPauseIsFilledAfterTheLongestDelay() {
        let burst = pacing.burstBacklog
        let nearlyLongest = pacing.longestDelay - .milliseconds(3)
        #expect(decide(backlog: burst, sinceOldest: nearlyLongest) == .after(.milliseconds(3)))
        #expect(decide(backlog: burst, sinceOldest: pacing.longestDelay) == .now)
    }

    /// A pass begun in a pause stops between its batches once the burst goes on, unless a request waits or
    /// what it would leave has waited the longest delay.
    @Test func aPassYieldsToABurstThatGoesOn() {
        let burst = pacing.burstBacklog
        func yields(
            backlog: Int = burst, sinceLastCommit: Duration = .milliseconds(1), sinceOldest: Duration = .seconds(1),
            isUrgent: Bool = false
        ) -> Bool {
            pacing.yields(
                backlog: backlog, sinceLastCommit: sinceLastCommit, sinceOldest: sinceOldest, isUrgent: isUrgent)
        }
        #expect(yields())
        #expect(!yields(backlog: burst - 1), "a trickle since the pass began")
        #expect(!yields(sinceLastCommit: pacing.quiet), "commits paused again")
        #expect(!yields(sinceOldest: pacing.longestDelay), "the oldest has waited long enough")
        #expect(!yields(isUrgent: true), "a request waits")
    }

    @Test func aWaitingRequestHasItsTextsAtOnce() {
        #expect(decide(backlog: pacing.burstBacklog * 10, sinceLastPass: .zero, isUrgent: true) == .now)
    }
}

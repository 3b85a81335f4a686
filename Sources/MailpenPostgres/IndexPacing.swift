/// When the indexer fills the search texts of new messages: at once for a trickle of mail and while a
/// request on this node waits for mail; during a burst only once commits pause, so that the texts' indexes
/// do not take the CPU the burst needs, yet never later than ``longestDelay`` after the oldest message
/// waiting. This is the part the SQLite store leaves to Linux's idle scheduling class; PostgreSQL's
/// backends cannot be put there.
struct IndexPacing: Sendable, Equatable {
    /// Passes are at least this far apart while mail keeps coming.
    var interval: Duration = .milliseconds(20)
    /// Messages waiting when a pass is due that make a burst: more than a trickle fills in `interval`.
    var burstBacklog = 32
    /// How long commits must pause before a burst's messages are filled: longer than a flush of the disk
    /// takes now and then in a burst that goes on.
    var quiet: Duration = .milliseconds(100)
    /// The longest a message waits for its texts during a burst that does not pause.
    var longestDelay: Duration = .seconds(5)

    enum Decision: Equatable {
        case now
        case after(Duration)
    }

    /// Whether to fill `backlog` (at least one) waiting messages now or look again after a while, given the
    /// time since the last commit, since the last pass ended and since the oldest of them was committed.
    func decide(
        backlog: Int, sinceLastCommit: Duration, sinceLastPass: Duration, sinceOldest: Duration, isUrgent: Bool
    ) -> Decision {
        if isUrgent || sinceOldest >= longestDelay { return .now }
        if sinceLastPass < interval { return .after(interval - sinceLastPass) }
        if backlog < burstBacklog || sinceLastCommit >= quiet { return .now }
        return .after(min(quiet - sinceLastCommit, longestDelay - sinceOldest))
    }

    /// Whether a pass under way stops after its batch and leaves the rest for later: the burst it took for
    /// paused goes on (`backlog` messages committed since the pass began, the last `sinceLastCommit` ago),
    /// no request waits, and the oldest message it would leave has waited less than ``longestDelay``.
    func yields(backlog: Int, sinceLastCommit: Duration, sinceOldest: Duration, isUrgent: Bool) -> Bool {
        !isUrgent && sinceOldest < longestDelay && backlog >= burstBacklog && sinceLastCommit < quiet
    }
}

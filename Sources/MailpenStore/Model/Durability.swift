/// How far a commit goes before the store reports it done, and so what a `250` promises: `mailpen serve
/// --sync full|normal`.
public enum Durability: String, Sendable, Hashable, CaseIterable {
    /// Each commit is flushed to the disk (fsync) before it is acknowledged: acknowledged mail survives power
    /// loss.
    case full
    /// Each commit reaches the database file only: acknowledged mail survives a crash or kill of Mailpen, not
    /// of the machine.
    case normal
}

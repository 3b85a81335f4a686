/// Where and when a node read the rows it keeps: the server, by its start time (which a restart or a
/// promoted replica changes), and the snapshot. Kept rows are brought up to date by transaction id only on
/// the server that gave them: a replica promoted in a failover may give out again the ids of transactions
/// it never received.
struct ReadMark: Hashable, Sendable {
    var server: String
    /// `pg_current_snapshot()` as text.
    var snapshot: String

    init(server: String, snapshot: String) {
        self.server = server
        self.snapshot = snapshot
    }

    /// The mark as kept with rows (``TermRowsCache/Entry/snapshot``), and back.
    var text: String { server + "/" + snapshot }

    init?(_ text: String?) {
        guard let text, let slash = text.firstIndex(of: "/") else { return nil }
        server = String(text[..<slash])
        snapshot = String(text[text.index(after: slash)...])
    }

    /// The selection of the search rows committed after this snapshot: those whose transaction it did not
    /// see, running then or begun since. Both halves are ranges of the index of `created_xid`. `placeholder`
    /// is the snapshot's bound parameter.
    static func rowsCommittedAfter(_ placeholder: String) -> String {
        """
        SELECT seq FROM message_search
        WHERE created_xid >= pg_snapshot_xmax(\(placeholder)::pg_snapshot)
            OR created_xid = ANY(ARRAY(SELECT pg_snapshot_xip(\(placeholder)::pg_snapshot)))
        """
    }
}

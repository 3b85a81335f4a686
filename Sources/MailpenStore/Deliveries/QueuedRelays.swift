/// SQL both stores run to find the relays with queued deliveries without reading the deliveries: one index
/// seek per relay (`delivery(status, relay, …)`), as a dead relay's queue may hold thousands.
package enum QueuedRelays {
    /// Rows of one column, `relay`.
    package static let sql = """
        WITH RECURSIVE relays(relay) AS (
            SELECT min(relay) FROM delivery WHERE status = 'queued'
            UNION ALL
            SELECT (SELECT min(d.relay) FROM delivery AS d WHERE d.status = 'queued' AND d.relay > relays.relay)
            FROM relays WHERE relays.relay IS NOT NULL
        )
        SELECT relay FROM relays WHERE relay IS NOT NULL
        """
}

/// The first unfinished delivery of each URL, as SQL both stores run: only those may be sent (a URL gets its
/// events in order, one at a time).
package enum WebhookHeads {
    /// Rows of one column, `seq`. It visits each URL with unfinished deliveries once, by the pending index,
    /// rather than reading every unfinished delivery: those pile up behind an endpoint that hangs, and the
    /// sender asks after every stored message.
    package static let sql = """
        WITH RECURSIVE urls(url) AS (
            SELECT min(url) FROM webhook_delivery WHERE status IN ('queued', 'sending')
            UNION ALL
            SELECT (
                SELECT min(w.url) FROM webhook_delivery AS w
                WHERE w.status IN ('queued', 'sending') AND w.url > urls.url
            ) FROM urls WHERE urls.url IS NOT NULL
        )
        SELECT (
            SELECT w.seq FROM webhook_delivery AS w
            WHERE w.url = urls.url AND w.status IN ('queued', 'sending') ORDER BY w.seq LIMIT 1
        ) AS seq
        FROM urls WHERE urls.url IS NOT NULL
        """

    /// Rows `seq`, `status`, `next_attempt_at` and `place`: each URL's head that the `WHERE` clause the caller
    /// appends keeps (those under way and those due), with its place in its inbox's line, where those under
    /// way come first. A due head placed past an inbox's share of attempts waits for one of them to finish.
    package static let placedSQL = """
        SELECT delivery.seq, delivery.status, delivery.next_attempt_at,
            row_number() OVER (
                PARTITION BY delivery.inbox
                ORDER BY delivery.status = 'queued', delivery.next_attempt_at, delivery.seq
            ) AS place
        FROM (\(sql)) AS heads
        JOIN webhook_delivery AS delivery ON delivery.seq = heads.seq
        """

    /// One row, the earliest `next_attempt_at` of a head that is queued and whose inbox has fewer heads
    /// under way than its share: when the next claim can find something. (The share is the server's own
    /// setting, integers written into the text.)
    package static func nextDueSQL(share: WebhookShare) -> String {
        """
        WITH head AS (
            SELECT delivery.inbox, delivery.status, delivery.next_attempt_at, delivery.claimed_at
            FROM (\(sql)) AS heads
            JOIN webhook_delivery AS delivery ON delivery.seq = heads.seq
        )
        SELECT min(next_attempt_at) FROM head
        WHERE status = 'queued' AND inbox NOT IN (
            SELECT inbox FROM head WHERE status = 'sending' AND claimed_at >= \(share.claimedSince.milliseconds)
            GROUP BY inbox HAVING count(*) >= \(share.perInbox))
        """
    }
}

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
}

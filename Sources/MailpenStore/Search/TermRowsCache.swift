/// The rows of recently searched terms — words, phrases, field substrings, header lines and, on
/// PostgreSQL, column tests — kept between searches, because what a message's index entries say never
/// changes once it is indexed: a later search of the same term reads only the entries of messages indexed
/// since, not the term's whole doclist again. A UI re-running its search on every new message, paging
/// through a broad one or combining it with other terms, and a CI job polling, all repeat terms.
///
/// Deleted messages stay in a term's rows, harmlessly: every search intersects them with the inbox's
/// current members, and row ids are never given out twice. Tags change, so tag terms are not kept; nor is
/// anything about flags or inboxes. Each store keys its terms its own way (`Key`).
package actor TermRowsCache<Key: Hashable & Sendable> {
    /// A term's rows among the messages indexed up to `through`.
    package struct Entry: Sendable {
        package var rows: RowSet
        package var through: Int64
        /// Where rows are not committed in row order (several PostgreSQL nodes), the database snapshot the
        /// rows were read in: the rows committed since are those it does not see, whatever their ids.
        package var snapshot: String?

        package init(rows: RowSet, through: Int64, snapshot: String? = nil) {
            self.rows = rows
            self.through = through
            self.snapshot = snapshot
        }
    }

    private struct Kept {
        var entry: Entry
        var lastUse: UInt64
    }

    private var entries: [Key: Kept] = [:]
    private var uses: UInt64 = 0
    /// Each set takes a bit per row id ever given out (12.5 KB per 100k); both bounds hold.
    private let maximumEntries: Int
    private let maximumBytes: Int

    package init(maximumEntries: Int = 64, maximumBytes: Int = 16 * 1024 * 1024) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    /// The kept entries of `keys`.
    package func entries(for keys: [Key]) -> [Key: Entry] {
        uses += 1
        var found: [Key: Entry] = [:]
        for key in keys {
            guard var kept = entries[key] else { continue }
            kept.lastUse = uses
            entries[key] = kept
            found[key] = kept.entry
        }
        return found
    }

    /// Keeps `updated`, unless an entry of the same term up to a later row is kept already; the least
    /// recently used entries go when a bound is passed.
    package func remember(_ updated: [Key: Entry]) {
        uses += 1
        // An entry of the same row as the kept one may be newer (rows committed below it since), and is
        // kept; an older one is not.
        for (key, entry) in updated where (entries[key]?.entry.through ?? -1) <= entry.through {
            entries[key] = Kept(entry: entry, lastUse: uses)
        }
        var bytes = entries.values.reduce(0) { $0 + $1.entry.rows.byteCount }
        while entries.count > maximumEntries || bytes > maximumBytes,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            bytes -= oldest.value.entry.rows.byteCount
            entries[oldest.key] = nil
        }
    }

    /// Lets every kept entry go, so that the next searches read their terms afresh: tests compare the two,
    /// and a PostgreSQL node forgets when its server may have changed (a failover).
    package func forgetAll() {
        entries.removeAll()
    }

    /// How many terms are kept, and up to which row each (for tests).
    package var kept: [Key: Int64] {
        entries.mapValues(\.entry.through)
    }
}

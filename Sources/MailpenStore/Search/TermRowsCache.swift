/// The rows of recently searched terms — words, phrases, field substrings and header lines — kept between
/// searches, because what a message's index entries say never changes once it is indexed: a later search of
/// the same term reads only the entries of messages indexed since (the index's row ids only grow), not the
/// term's whole doclist again. A UI re-running its search on every new message, paging through a broad
/// one or combining it with other terms, and a CI job polling, all repeat terms.
///
/// Deleted messages stay in a term's rows, harmlessly: every search intersects them with the inbox's
/// current members, and row ids are never given out twice (`AUTOINCREMENT`). Tags change, so tag terms are
/// not kept; nor is anything about flags or inboxes.
actor TermRowsCache {
    /// What a term's rows are kept under: its source, with everything that decides its rows. Text is kept
    /// as its UTF-8 bytes, which is how the index compares it: Swift's `String` equality would make `café`
    /// written with a combining accent the same key as `café` with a precomposed one, which match
    /// different messages.
    enum Key: Hashable, Sendable {
        case fullText(table: String, expression: [UInt8])
        case fieldScan(columns: [String], value: [UInt8])
        case header(name: [UInt8], value: [UInt8]?)
    }

    /// A term's rows among the messages indexed up to `through`.
    struct Entry: Sendable {
        var rows: RowSet
        var through: Int64
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

    init(maximumEntries: Int = 64, maximumBytes: Int = 16 * 1024 * 1024) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    /// The kept entries of `keys`.
    func entries(for keys: [Key]) -> [Key: Entry] {
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

    /// Keeps `updated`, unless a newer entry of the same term is kept already; the least recently used
    /// entries go when a bound is passed.
    func remember(_ updated: [Key: Entry]) {
        uses += 1
        for (key, entry) in updated where (entries[key]?.entry.through ?? -1) < entry.through {
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

    /// Lets every kept entry go, so that the next searches read their terms afresh (for tests, which compare
    /// the two).
    func forgetAll() {
        entries.removeAll()
    }

    /// How many terms are kept, and up to which row each (for tests).
    var kept: [Key: Int64] {
        entries.mapValues(\.entry.through)
    }
}

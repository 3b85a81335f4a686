/// Messages of one inbox that the search index has just taken in: searches, and the waits that look
/// through them, can now find them. Announced on the indexer's own feed, which only the store reads.
struct IndexedMessages: Sendable, Hashable {
    var inbox: String
    var ids: [String]
}

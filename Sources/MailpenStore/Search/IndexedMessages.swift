/// Messages of one inbox that the search index has just taken in: searches, and the waits that look
/// through them, can now find them. Announced on the indexer's own feed, which only the store reads.
package struct IndexedMessages: Sendable, Hashable {
    package var inbox: String
    package var ids: [String]

    package init(inbox: String, ids: [String]) {
        self.inbox = inbox
        self.ids = ids
    }
}

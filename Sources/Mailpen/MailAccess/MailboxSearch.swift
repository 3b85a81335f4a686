import Logging
import MailpenStore

/// Answers the store queries of an IMAP SEARCH (written in the search grammar by the session) with the ids
/// of the inbox's matching messages, through the same store search as `?q=`, so that text keys use the
/// search index instead of reading every message.
struct MailboxSearch: Sendable {
    let store: any MailpenStore
    let logger: Logger

    /// Matches read at once.
    static let pageSize = 5000

    /// The ids each query matches, in the order of the queries; nil when one cannot be parsed or run.
    func matchingIDs(inbox: String, queries: [String]) async -> [[String]]? {
        // Every query parsed, and the command's word budget checked, before any runs: a command past the
        // budget reads the messages anyway, so running some of its queries first would be work thrown away.
        // One search's word budget for the whole command: its queries all run, one after another.
        var searches: [SearchQuery] = []
        var words = 0
        for text in queries {
            do {
                let search = try SearchQuery(parsing: text)
                words += search.wordCount
                guard words <= SearchQuery.maximumWords else {
                    logger.debug("IMAP SEARCH reads the messages: its text keys have \(words) words or more")
                    return nil
                }
                searches.append(search)
            } catch {
                // A key past the grammar's limits (a phrase of too many words): the session reads the messages.
                logger.debug("IMAP SEARCH reads the messages for \(text): \(error)")
                return nil
            }
        }
        var results: [[String]] = []
        for (text, search) in zip(queries, searches) {
            do {
                results.append(try await matchingIDs(MessageQuery(inbox: inbox, search: search)))
            } catch {
                logger.error("IMAP SEARCH could not run the search \(text): \(error)")
                return nil
            }
        }
        return results
    }

    /// Every id the query matches, read in large pages (newest first: mail arriving meanwhile shifts later
    /// pages, which then repeat an id rather than skip one).
    private func matchingIDs(_ query: MessageQuery) async throws -> [String] {
        var ids: [String] = []
        var offset = 0
        while true {
            let page = try await store.messages(query, limit: Self.pageSize, offset: offset)
            ids += page.messages.map(\.id)
            offset += page.messages.count
            if page.messages.count < Self.pageSize || offset >= page.total { return ids }
        }
    }
}

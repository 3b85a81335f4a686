import MailpenStore

/// The rows of `message_header`: each message's indexed header lines split into name and value, as the
/// SQLite store's header table keeps them, so that `header:` reads the entries of the name it asks for
/// instead of every message's header text.
enum HeaderRows {
    /// Names longer than this are not kept (an index entry has a size limit, and a message must never fail
    /// to store over one); a term naming one is answered from the header text.
    static let longestName = 200

    /// Whether `header:` with this (folded) name is answered from the table.
    static func isIndexable(name: String) -> Bool {
        HeaderEntries.isIndexable(name: name) && name.utf8.count <= longestName
    }

    /// The distinct entries of a message's folded header lines that the table keeps.
    static func entries(of headers: String) -> [HeaderEntries.Entry] {
        var seen = Set<HeaderEntries.Entry>()
        var entries: [HeaderEntries.Entry] = []
        HeaderEntries.forEachEntry(of: headers) { entry in
            if entry.name.utf8.count <= longestName, seen.insert(entry).inserted { entries.append(entry) }
        }
        return entries
    }

    /// The condition that the `message_search` row named `table` has a header `name` (whose value contains
    /// `value`, when given); `name` must be ``isIndexable(name:)``.
    ///
    /// `joinedByHash` keeps the planner from walking the rows in `seq` order to merge them with the
    /// entries: a name most messages have would then test the other conditions (a word's vector) on every
    /// row. A few known rows (a wait's) are better joined entry by entry.
    static func condition(
        name: String, value: String?, on table: String, joinedByHash: Bool, into builder: inout SQLBuilder
    ) throws -> String {
        let row = joinedByHash ? "\(table).seq + 0" : "\(table).seq"
        return "\(row) IN (SELECT seq FROM \(try entries(name: name, value: value, into: &builder)))"
    }

    /// The entries of header `name` (whose value contains `value`, when given), as `message_header` with
    /// its condition; `name` must be ``isIndexable(name:)``.
    static func entries(name: String, value: String?, into builder: inout SQLBuilder) throws -> String {
        let named = "message_header WHERE name = \(try builder.bind(name))"
        guard let value else { return named }
        return named + " AND strpos(value, \(try builder.bind(value))) > 0"
    }
}

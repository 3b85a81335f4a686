import Foundation
import GRDB

/// The header tables: each message's indexed header lines (`name: value`, folded, one per line, see
/// ``SearchDocument``) whole, and as entries split at their first `": "`. `header:Name=value` matches a line that starts with
/// `name: ` and contains `value` after it, so it matches exactly the entries named `name` whose value
/// contains `value` — for every name without `": "` or a line break in it (``isIndexable(name:)``).
package enum HeaderEntries {
    /// Each (name, value) pair of folded header lines, in order; a repeated line gives its pair again.
    package static func forEachEntry(of headers: String, _ body: (Entry) throws -> Void) rethrows {
        var headers = headers
        try headers.withUTF8 { bytes in
            try forEachSplit(of: bytes) { name, value in
                try body(
                    Entry(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
            }
        }
    }

    /// The bytes of each line's name and value, split at ASCII characters, so both halves are whole UTF-8.
    /// Lines end at a line feed; a line without `": "`, or that begins with it, has no entry.
    private static func forEachSplit(
        of headers: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        var lineStart = 0
        while lineStart < headers.count {
            let lineEnd = index(of: UInt8(ascii: "\n"), in: headers, from: lineStart) ?? headers.count
            if let colon = separator(in: headers, from: lineStart, to: lineEnd), colon > lineStart {
                try body(
                    UnsafeBufferPointer(rebasing: headers[lineStart..<colon]),
                    UnsafeBufferPointer(rebasing: headers[(colon + 2)..<lineEnd]))
            }
            lineStart = lineEnd + 1
        }
    }

    /// Where the first `byte` at or after `start` is.
    private static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count,
            let found = memchr(base + start, Int32(byte), bytes.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Where the first `": "` of the line `start..<end` starts.
    private static func separator(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var position = start
        while position + 1 < end {
            if bytes[position] == UInt8(ascii: ":"), bytes[position + 1] == UInt8(ascii: " ") { return position }
            position += 1
        }
        return nil
    }

    package struct Entry: Hashable, Sendable {
        package var name: String
        package var value: String
    }

    /// Whether a `header:` term with this (folded) name can be answered from the table: a name containing
    /// `": "` or a line break would have to match across the split.
    package static func isIndexable(name: String) -> Bool {
        !name.isEmpty && !name.contains(": ") && !name.unicodeScalars.contains("\n")
    }

    /// The rows with a header `name` (whose value contains `value`, when given): the one query of the table,
    /// for the row-set search and the SQL path alike. `name` must be ``isIndexable(name:)``. With `afterRow`,
    /// only rows after a row id, bound after the arguments (the table's key then reads just those).
    static func rowsQuery(name: String, value: String?, schema: String, afterRow: Bool = false)
        -> (sql: String, arguments: [String])
    {
        let table = "\(schema)\(SearchIndexSchema.headerTable)"
        let after = afterRow ? " AND seq > ?" : ""
        guard let value else { return ("SELECT seq FROM \(table) WHERE name = ?\(after)", [name]) }
        return ("SELECT seq FROM \(table) WHERE name = ? AND instr(value, ?) > 0\(after)", [name, value])
    }

    /// Records a message's header lines: whole in the lines table, and each distinct line as an entry (a line
    /// repeated within the message is written once, `OR IGNORE`). Lines are kept up to a NUL byte, where
    /// SQLite cuts bound text: the entries must come from exactly the stored lines, which their deletion
    /// reads (PostgreSQL's store cuts there too).
    static func insert(seq: Int64, headers: String, into db: Database, schema: String) throws {
        var headers = StoredText.cut(headers)
        let lines = try db.cachedStatement(
            sql: "INSERT INTO \(schema)\(SearchIndexSchema.headerLinesTable) (seq, lines) VALUES (?, ?)")
        let statement = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO \(schema)\(SearchIndexSchema.headerTable) (name, seq, value) VALUES (?, ?, ?)")
        // Bound straight from the lines' bytes, which outlive each step: a message has a dozen lines, and
        // building strings and argument arrays (or SQLite copies) for each cost more than SQLite's insert.
        try headers.withUTF8 { bytes in
            var linesInsert = RawStatement(lines)
            linesInsert.bind(seq)
            linesInsert.bind(borrowedText: bytes)
            try linesInsert.execute(in: db)
            try forEachSplit(of: bytes) { name, value in
                var insert = RawStatement(statement)
                insert.bind(borrowedText: name)
                insert.bind(seq)
                insert.bind(borrowedText: value)
                try insert.execute(in: db)
            }
        }
    }

    /// Deletes the entries and lines of `rows`, the entries found by the names in the stored lines.
    static func delete(rows: [Int64], in db: Database, schema: String) throws {
        let marks = databaseQuestionMarks(count: rows.count)
        let stored = try Row.fetchAll(
            db,
            sql: "SELECT seq, lines FROM \(schema)\(SearchIndexSchema.headerLinesTable) WHERE seq IN (\(marks))",
            arguments: StatementArguments(rows))
        let statement = try db.cachedStatement(
            sql: "DELETE FROM \(schema)\(SearchIndexSchema.headerTable) WHERE name = ? AND seq = ?")
        for row in stored {
            let seq: Int64 = row[0]
            let headers: String = row[1] ?? ""
            var names = Set<String>()
            forEachEntry(of: headers) { names.insert($0.name) }
            for name in names {
                try statement.execute(arguments: [name, seq])
            }
        }
        try db.execute(
            sql: "DELETE FROM \(schema)\(SearchIndexSchema.headerLinesTable) WHERE seq IN (\(marks))",
            arguments: StatementArguments(rows))
    }
}

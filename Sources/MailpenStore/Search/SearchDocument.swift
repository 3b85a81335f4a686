import Foundation
import GRDB
import MailpenMIME

/// What the search index holds for one message, built from its raw bytes and stored columns.
package struct SearchDocument: Sendable {
    package var seq: Int64
    package var subject: String
    package var addresses: String
    package var body: String
    package var fields: Fields

    /// Case-folded field texts for the substring index, and the header lines.
    package struct Fields: Sendable {
        package var from: String
        package var to: String
        package var cc: String
        package var bcc: String
        package var replyTo: String
        package var all: String
        package var recipients: String
        package var subject: String
        package var messageID: String
        /// The folded header lines, one per line, for the header tables (not the substring index).
        package var headers: String
    }

    /// Longest body text indexed; mail beyond it is rare and would only bloat the index.
    static let maximumBodyCharacters = 512 * 1024
    /// Longest header value indexed, in characters (`header:` terms look no further).
    static let maximumHeaderValueCharacters = 1000
    /// Headers that are long, machine-made and never searched for.
    private static let skippedHeaders: Set<String> = [
        "received", "dkim-signature", "arc-seal", "arc-message-signature", "arc-authentication-results",
        "x-google-dkim-signature", "x-gm-message-state", "x-received", "authentication-results",
    ]

    init(seq: Int64, raw: [UInt8], recipients: String) {
        self.init(seq: seq, message: MIMEMessage(raw), recipients: recipients)
    }

    package init(seq: Int64, message: MIMEMessage, recipients: String) {
        self.seq = seq
        subject = StoredText.replacingNUL(message.subject ?? "")
        let lists = message.addressHeaders
        let everyone = lists.all
        addresses = StoredText.replacingNUL(
            everyone.map { [$0.name, $0.address].compactMap { $0 }.joined(separator: " ") }.joined(separator: " "))
        body = StoredText.replacingNUL(Self.cut(message.searchableText, toCharacters: Self.maximumBodyCharacters))
        func fold(_ list: [MIMEAddress]) -> String {
            StoredText.replacingNUL(
                SearchFolding.fold(
                    list.map { address in
                        address.name.map { "\($0) <\(address.address)>" } ?? address.address
                    }.joined(separator: ", ")))
        }
        var headerLines = "\n"
        for field in message.header.fields {
            let name = SearchFolding.fold(field.name)
            guard !Self.skippedHeaders.contains(name) else { continue }
            headerLines += name
            headerLines += ": "
            headerLines += SearchFolding.fold(Self.cut(field.value, toCharacters: Self.maximumHeaderValueCharacters))
            headerLines += "\n"
        }
        fields = Fields(
            from: fold(lists.from),
            to: fold(lists.to),
            cc: fold(lists.cc),
            bcc: fold(lists.bcc),
            replyTo: fold(lists.replyTo),
            all: fold(everyone),
            recipients: StoredText.replacingNUL(SearchFolding.fold(recipients)),
            subject: SearchFolding.fold(subject),
            messageID: StoredText.replacingNUL(SearchFolding.fold(message.messageID ?? "")),
            headers: StoredText.replacingNUL(headerLines))
    }

    /// `text` cut to `limit` characters. Counting characters reads the whole text, and a text of no more
    /// bytes than the limit has no more characters: such a text is not counted.
    private static func cut(_ text: String, toCharacters limit: Int) -> String {
        guard text.utf8.count > limit, text.count > limit else { return text }
        return String(text.prefix(limit))
    }

    func insert(into db: Database, schema: String) throws {
        let text = try db.cachedStatement(
            sql:
                "INSERT INTO \(schema)\(SearchIndexSchema.textTable) (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)"
        )
        // Bound through the C API: GRDB's argument arrays cost more than these inserts' own work.
        var textInsert = RawStatement(text)
        textInsert.bind(seq)
        for value in [subject, addresses, body] { textInsert.bind(value) }
        try textInsert.execute(in: db)
        let fieldsStatement = try db.cachedStatement(
            sql: """
                INSERT INTO \(schema)\(SearchIndexSchema.fieldsTable) (rowid, addr_from, addr_to, addr_cc, addr_bcc,
                    addr_reply_to, addr_all, rcpt, subject, message_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        var fieldsInsert = RawStatement(fieldsStatement)
        fieldsInsert.bind(seq)
        for value in [
            fields.from, fields.to, fields.cc, fields.bcc, fields.replyTo, fields.all, fields.recipients,
            fields.subject, fields.messageID,
        ] {
            fieldsInsert.bind(value)
        }
        try fieldsInsert.execute(in: db)
        try HeaderEntries.insert(seq: seq, headers: fields.headers, into: db, schema: schema)
    }
}

/// The SQL function `mailpen_header_matches(headers, name, value)`: whether the folded header lines contain
/// a field `name` whose value contains `value` (or any such field when `value` is NULL).
///
/// Lines, prefixes and values are compared as code points (their UTF-8 bytes), like every other field term,
/// and not as Swift characters, which would join a combining mark to the character before it.
enum HeaderMatchFunction {
    static let function = DatabaseFunction("mailpen_header_matches", argumentCount: 3, pure: true) { values in
        guard let headers = String.fromDatabaseValue(values[0].databaseValue),
            let name = String.fromDatabaseValue(values[1].databaseValue)
        else { return false }
        return matches(headers: headers, name: name, value: String.fromDatabaseValue(values[2].databaseValue))
    }

    static func matches(headers: String, name: String, value: String?) -> Bool {
        let prefix = Array((name + ": ").utf8)
        let needle = value.map { Array($0.utf8) }
        for line in headers.utf8.split(separator: UInt8(ascii: "\n")) where line.starts(with: prefix) {
            guard let needle else { return true }
            if contains(line.dropFirst(prefix.count), needle) { return true }
        }
        return false
    }

    private static func contains(_ text: Substring.UTF8View.SubSequence, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        var start = text.startIndex
        while let first = text[start...].firstIndex(of: needle[0]) {
            if text[first...].starts(with: needle) { return true }
            start = text.index(after: first)
        }
        return false
    }
}

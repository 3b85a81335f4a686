import Foundation
import MailpenMIME
import MailpenStore
import NIOCore

/// A message ready for the batch transaction: parsed once, its `message` columns, search texts and word
/// vector all computed before it reaches the writer, which then only sends them.
struct IncomingRow: PreparedRow {
    var message: PreparedMessage
    /// The case-folded field texts of `message_search`, cut as stored.
    var fields: SearchDocument.Fields
    var words: SearchWords
    /// The rows of `message_header`.
    var headers: [HeaderEntries.Entry]
    /// The exact bytes.
    var raw: ByteBuffer

    init(_ incoming: IncomingMessage) {
        let parsed = MIMEMessage(incoming.raw)
        message = PreparedMessage(incoming, parsed: parsed)
        let document = SearchDocument(
            seq: 0, message: parsed, recipients: StoredText.cut(message.columns.recipients))
        var fields = document.fields
        for path in [
            \SearchDocument.Fields.from, \.to, \.cc, \.bcc, \.replyTo, \.all, \.recipients, \.subject, \.messageID,
            \.headers,
        ] {
            fields[keyPath: path] = StoredText.cut(fields[keyPath: path])
        }
        self.fields = fields
        headers = HeaderRows.entries(of: fields.headers)
        words = SearchWords(fields: [document.subject, document.addresses, document.body].map(StoredText.cut))
        raw = ByteBuffer(bytes: incoming.raw)
    }
}

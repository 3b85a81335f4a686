import MailpenMIME
import MailpenStore

/// The search texts of one message as `message_search` and `message_header` keep them: the case-folded
/// field texts, cut as stored, the word vector and the header lines. The indexer computes them from the
/// stored bytes after the message's commit (see ``PostgresIndexer``), so that storing a message neither
/// builds them nor waits for their indexes.
struct SearchRow: Sendable {
    var fields: SearchDocument.Fields
    var words: SearchWords
    /// The rows of `message_header`.
    var headers: [HeaderEntries.Entry]

    /// The texts of the message `raw`, whose envelope recipients are `recipients` (as stored in `message`).
    init(raw: some Sequence<UInt8>, recipients: String) {
        let parsed = MIMEMessage(raw)
        let document = SearchDocument(seq: 0, message: parsed, recipients: StoredText.cut(recipients))
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
    }
}

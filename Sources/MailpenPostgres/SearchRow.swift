import MailpenMIME
import MailpenStore

/// The search texts of one message as `message_search` and `message_header` keep them: the case-folded
/// field texts, the word vector and the header lines. The indexer computes them from the
/// stored bytes after the message's commit (see ``PostgresIndexer``), so that storing a message neither
/// builds them nor waits for their indexes.
struct SearchRow: Sendable {
    var fields: SearchDocument.Fields
    var words: SearchWords
    /// The rows of `message_header`.
    var headers: [HeaderEntries.Entry]

    /// The texts of the message `raw`, whose envelope recipients are `recipients` (as stored in `message`).
    init(raw: some Sequence<UInt8>, recipients: String) {
        // A search document's texts hold no NUL (it reads one as a space), which PostgreSQL's text refuses.
        let document = SearchDocument(seq: 0, message: MIMEMessage(raw), recipients: recipients)
        fields = document.fields
        headers = HeaderRows.entries(of: fields.headers)
        words = SearchWords(fields: [document.subject, document.addresses, document.body])
    }
}

import MailpenMIME
import MailpenStore
import NIOCore

/// A message ready for the batch transaction: parsed once and its `message` columns computed before it
/// reaches the writer, which then only sends them. Its search texts are left to the indexer.
struct IncomingRow: PreparedRow {
    var message: PreparedMessage
    /// The exact bytes.
    var raw: ByteBuffer

    init(_ incoming: IncomingMessage) {
        message = PreparedMessage(incoming, parsed: MIMEMessage(incoming.raw))
        raw = ByteBuffer(bytes: incoming.raw)
    }
}

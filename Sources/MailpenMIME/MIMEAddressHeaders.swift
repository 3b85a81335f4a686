/// The address lists of a message's header, each parsed once in one pass over its fields: for a caller that
/// needs several of them, or all of them as well as some on their own (the search index).
public struct MIMEAddressHeaders: Sendable, Hashable {
    public var from: [MIMEAddress] = []
    public var sender: [MIMEAddress] = []
    public var replyTo: [MIMEAddress] = []
    public var to: [MIMEAddress] = []
    public var cc: [MIMEAddress] = []
    public var bcc: [MIMEAddress] = []

    /// From, Sender, Reply-To, To, Cc and Bcc, in that order.
    public var all: [MIMEAddress] { from + sender + replyTo + to + cc + bcc }

    /// Parses the lists of `header`: each field's mailboxes, in the order of its fields.
    init(_ header: MIMEHeader) {
        for field in header.fields {
            // Name tests, not key paths: this runs for every message stored and every one indexed.
            if field.hasName("from") {
                from += AddressList.parse(field.unfoldedValue)
            } else if field.hasName("to") {
                to += AddressList.parse(field.unfoldedValue)
            } else if field.hasName("cc") {
                cc += AddressList.parse(field.unfoldedValue)
            } else if field.hasName("bcc") {
                bcc += AddressList.parse(field.unfoldedValue)
            } else if field.hasName("reply-to") {
                replyTo += AddressList.parse(field.unfoldedValue)
            } else if field.hasName("sender") {
                sender += AddressList.parse(field.unfoldedValue)
            }
        }
    }
}

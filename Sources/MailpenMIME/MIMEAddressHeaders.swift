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
        let lists: [WritableKeyPath<Self, [MIMEAddress]>] = [\.from, \.sender, \.replyTo, \.to, \.cc, \.bcc]
        let names = ["from", "sender", "reply-to", "to", "cc", "bcc"]
        for field in header.fields {
            guard let index = names.firstIndex(where: { field.hasName($0) }) else { continue }
            self[keyPath: lists[index]] += AddressList.parse(field.unfoldedValue)
        }
    }
}

/// One mailbox from an address header (From, To, Cc, …).
///
/// Display names are decoded so the UI and search see what a person would;
/// `group` keeps RFC 5322 group membership (`Team: a@x, b@y;`) that would otherwise be lost.
public struct MIMEAddress: Sendable, Hashable {
    /// The decoded display name, nil when there is none.
    public var name: String?
    /// The addr-spec, e.g. `bob@example.com` (may contain UTF-8, RFC 6532).
    public var address: String
    /// The display name of the group this mailbox was listed in, if any.
    public var group: String?

    public init(name: String? = nil, address: String, group: String? = nil) {
        self.name = name
        self.address = address
        self.group = group
    }
}

/// How `links(follow:)` requests URLs.
///
/// The URLs come from captured mail, that is from anyone who can send Mailpen a message, so
/// following is bounded: only public addresses unless `allowsPrivateAddresses`, at most
/// `maximumLinks` links, and all of them within `deadline`.
public struct LinkFollowing: Sendable, Equatable {
    /// Per request (each hop of a redirect chain).
    public var timeout: Duration
    /// Requests in flight at once.
    public var maximumConcurrency: Int
    /// Redirects followed before giving up.
    public var maximumRedirects: Int
    public var userAgent: String
    /// Links requested per message; the others are reported as not checked.
    public var maximumLinks: Int
    /// For following all the links of a message; links unfinished by then are reported as timed out.
    public var deadline: Duration
    /// Request loopback, private, link-local and other non-public addresses too (the
    /// `--links-allow-private` option). Off, such links and redirects are refused unrequested.
    public var allowsPrivateAddresses: Bool
    /// Non-public endpoints allowed even when `allowsPrivateAddresses` is off (tests).
    package var allowedPrivateEndpoints: Set<LinkEndpoint> = []

    public init(
        timeout: Duration = .seconds(5),
        maximumConcurrency: Int = 8,
        maximumRedirects: Int = 10,
        userAgent: String = "Mailpen-LinkCheck/1.0",
        maximumLinks: Int = 200,
        deadline: Duration = .seconds(30),
        allowsPrivateAddresses: Bool = false
    ) {
        self.timeout = timeout
        self.maximumConcurrency = max(1, maximumConcurrency)
        self.maximumRedirects = max(0, maximumRedirects)
        self.userAgent = userAgent
        self.maximumLinks = max(0, maximumLinks)
        self.deadline = deadline
        self.allowsPrivateAddresses = allowsPrivateAddresses
    }

    /// The address decision these settings make.
    package var addressPolicy: LinkAddressPolicy {
        LinkAddressPolicy(
            allowsPrivateAddresses: self.allowsPrivateAddresses,
            allowedEndpoints: self.allowedPrivateEndpoints
        )
    }
}

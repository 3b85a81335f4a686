/// How `links(follow:)` requests URLs.
public struct LinkFollowing: Sendable, Equatable {
    /// Per request (each hop of a redirect chain).
    public var timeout: Duration
    /// Requests in flight at once.
    public var maximumConcurrency: Int
    /// Redirects followed before giving up.
    public var maximumRedirects: Int
    public var userAgent: String

    public init(
        timeout: Duration = .seconds(5),
        maximumConcurrency: Int = 8,
        maximumRedirects: Int = 10,
        userAgent: String = "Mailpen-LinkCheck/1.0"
    ) {
        self.timeout = timeout
        self.maximumConcurrency = max(1, maximumConcurrency)
        self.maximumRedirects = max(0, maximumRedirects)
        self.userAgent = userAgent
    }
}

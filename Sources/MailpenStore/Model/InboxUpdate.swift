/// A change to an inbox's settings; `nil` leaves a setting as it is, `.some(nil)` resets it to the default.
public struct InboxUpdate: Sendable {
    public var password: String?
    public var maxMessages: Int??
    public var maxAgeSeconds: Int??
    public var routes: [String]?

    public init(password: String? = nil, maxMessages: Int?? = nil, maxAgeSeconds: Int?? = nil, routes: [String]? = nil) {
        self.password = password
        self.maxMessages = maxMessages
        self.maxAgeSeconds = maxAgeSeconds
        self.routes = routes
    }
}

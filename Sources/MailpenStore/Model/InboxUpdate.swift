/// A change to an inbox's settings; `nil` leaves a setting as it is, `.some(nil)` resets it to the default.
public struct InboxUpdate: Sendable {
    public var password: String?
    public var maximumMessages: Int??
    public var maximumAgeSeconds: Int??
    public var routes: [String]?

    public init(
        password: String? = nil, maximumMessages: Int?? = nil, maximumAgeSeconds: Int?? = nil, routes: [String]? = nil
    ) {
        self.password = password
        self.maximumMessages = maximumMessages
        self.maximumAgeSeconds = maximumAgeSeconds
        self.routes = routes
    }
}

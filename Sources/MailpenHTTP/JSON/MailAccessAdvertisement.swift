/// Where and how mail clients reach the POP3 or IMAP server; shown with every inbox (when the server runs)
/// so users can copy their settings into a mail client.
public struct MailAccessAdvertisement: Sendable {
    public var host: String
    /// The plain listener's port (STARTTLS/STLS offered when ``startTLS``), if it runs.
    public var port: Int?
    public var startTLS: Bool
    /// The implicit-TLS listener's port, if it runs.
    public var implicitTLSPort: Int?

    public init(host: String, port: Int?, startTLS: Bool, implicitTLSPort: Int?) {
        self.host = host
        self.port = port
        self.startTLS = startTLS
        self.implicitTLSPort = implicitTLSPort
    }
}

/// An inbox's POP3 or IMAP settings in API responses: the login is the inbox's SMTP username and password.
struct MailAccessSettingsResource: Encodable, Sendable {
    var host: String
    @ExplicitNull var port: Int?
    var username: String
    var password: String
    var startTLS: Bool
    @ExplicitNull var implicitTLSPort: Int?

    init(_ advertisement: MailAccessAdvertisement, username: String, password: String) {
        host = advertisement.host
        port = advertisement.port
        self.username = username
        self.password = password
        startTLS = advertisement.startTLS
        implicitTLSPort = advertisement.implicitTLSPort
    }
}

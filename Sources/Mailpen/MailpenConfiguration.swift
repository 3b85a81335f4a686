import MailpenPostgres
import MailpenStore

/// Everything `mailpen serve` can be told: listeners, TLS, authentication policy, limits and storage.
public struct MailpenConfiguration: Sendable {
    /// How STARTTLS and SMTPS get their certificate.
    public enum TLS: Sendable, Equatable {
        /// No TLS: STARTTLS is not offered.
        case off
        /// A self-signed certificate made at start-up.
        case automatic
        /// A PEM certificate chain and private key from files.
        case files(certificate: String, privateKey: String)
    }

    /// Whether AUTH credentials are checked.
    public enum AuthenticationPolicy: String, Sendable, CaseIterable {
        /// Any username and password is accepted; the username names (and creates) the inbox.
        case any
        /// The username must be an existing inbox and the password its SMTP password.
        case strict
    }

    public var smtpHost = "127.0.0.1"
    public var smtpPort = 2525
    public var httpHost = "127.0.0.1"
    public var httpPort = 8025
    /// The implicit-TLS SMTP listener, if any.
    public var smtpsHost: String?
    public var smtpsPort: Int?
    public var tls: TLS = .off
    public var authenticationPolicy: AuthenticationPolicy = .any
    /// The name in the SMTP greeting.
    public var hostname = "localhost"
    public var databasePath = "./mailpen.sqlite"
    /// A PostgreSQL database (`--db postgres://...`) to use instead of the SQLite file: several nodes can
    /// share it.
    public var postgresURL: PostgresURL?
    /// Connections each node keeps to PostgreSQL for reads and changes (besides its writer's and listener's).
    public var postgresPoolSize = PostgresStore.Configuration.defaultPoolSize
    public var durableCommits = true
    public var maxMessageSize = 50 * 1024 * 1024
    public var maxRecipients = 1000
    public var maxConnections = 1000
    public var idleTimeoutSeconds = 300
    public var maxLineLength = 4096
    /// Per-inbox retention defaults.
    public var maxMessages = 5000
    public var maxAgeSeconds: Int?
    /// How long SMTP transactions in flight may continue after shutdown starts.
    public var shutdownGraceSeconds = 5
    /// A SpamAssassin spamd (`host:port`) for the spam check; `nil` uses the built-in rules.
    public var spamd: String?
    /// HTTP basic credentials (`user:password`) for the UI and API; `nil` leaves them open.
    public var uiAuthentication: String?
    /// The folder with the web UI; `nil` serves the API only.
    public var webRoot: String?
    /// Host names the HTTP server answers to besides the loopback names and `httpHost`; `*` allows any.
    public var allowedHosts: [String] = []
    /// Whether the links check may follow links to loopback, private and other non-public addresses.
    public var linksAllowPrivate = false
    /// HTTP connections held open at once; at the cap the longest-idle one is closed to admit a new one.
    public var httpMaxConnections = 256
    /// Seconds an HTTP connection may sit without a request.
    public var httpIdleTimeoutSeconds = 60
    /// How often server-sent event streams get a heartbeat.
    public var heartbeatInterval: Duration = .seconds(15)

    public init() {}

    var retention: RetentionDefaults {
        RetentionDefaults(maxMessages: maxMessages, maxAgeSeconds: maxAgeSeconds)
    }
}

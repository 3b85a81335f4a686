import MailpenChaos
import MailpenChecks
import MailpenHTTP
import MailpenPostgres
import MailpenRelay
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import NIOCore

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

    /// What a POP3 client's deletions do when it QUITs.
    public enum POP3DeletionMode: String, Sendable, CaseIterable {
        case delete
        case markRead = "mark-read"
    }

    // The defaults of the layers' own configurations, so that each default is defined once: there.
    private static let smtp = SMTPServer.Configuration()
    private static let http = MailpenHTTP.ConnectionLimits()

    public var smtpHost = smtp.host
    public var smtpPort = smtp.port
    public var httpHost = "127.0.0.1"
    public var httpPort = 8025
    /// The implicit-TLS SMTP listener, if any.
    public var smtpsHost: String?
    public var smtpsPort: Int?
    public var tls: TLS = .off
    public var authenticationPolicy: AuthenticationPolicy = .any
    /// The name in the SMTP greeting.
    public var hostname = smtp.session.hostname
    public var databasePath = "./mailpen.sqlite"
    /// A PostgreSQL database (`--db postgres://...`) to use instead of the SQLite file: several nodes can
    /// share it.
    public var postgresURL: PostgresURL?
    /// Connections each node keeps to PostgreSQL for reads and changes (besides its writer's and listener's).
    public var postgresPoolSize = PostgresStore.Configuration.defaultPoolSize
    /// Whether a commit is flushed to the disk before its `250` (`--sync`).
    public var durability: Durability = .full
    public var maximumMessageSize = smtp.session.maximumMessageSize
    public var maximumRecipients = smtp.session.maximumRecipients
    public var maximumConnections = smtp.maximumConnections
    public var idleTimeoutSeconds = Int(smtp.idleTimeout.nanoseconds / 1_000_000_000)
    public var maximumLineLength = smtp.maximumLineLength
    /// Per-inbox retention defaults.
    public var maximumMessages = RetentionDefaults().maximumMessages
    public var maximumAgeSeconds = RetentionDefaults().maximumAgeSeconds
    /// How long SMTP transactions in flight may continue after shutdown starts.
    public var shutdownGraceSeconds = Int(smtp.shutdownGracePeriod.nanoseconds / 1_000_000_000)
    /// A SpamAssassin spamd (`host:port`) for the spam check; `nil` uses the built-in rules.
    public var spamd: String?
    /// The largest message the spam check sends to spamd.
    public var spamdMaximumMessageSize = SpamdConfiguration.defaultMaximumMessageBytes
    /// HTTP basic credentials (`user:password`) for the UI and API; `nil` leaves them open.
    public var uiAuthentication: String?
    /// The folder with the web UI; `nil` serves the API only.
    public var webRoot: String?
    /// Host names the HTTP server answers to besides the loopback names and `httpHost`; `*` allows any.
    public var allowedHosts: [String] = []
    /// Whether the links check may follow links to loopback, private and other non-public addresses.
    public var linksAllowPrivate = false
    /// Bounds on the chaos rules the API accepts (longest delay, most rules in a set).
    public var chaosLimits = ChaosLimits()
    /// HTTP connections held open at once; at the cap the longest-idle one is closed to admit a new one.
    public var httpMaximumConnections = http.maximumConnections
    /// Seconds an HTTP connection may sit without a request.
    public var httpIdleTimeoutSeconds = Int(http.idleTimeout.components.seconds)
    /// How often server-sent event streams get a heartbeat.
    public var heartbeatInterval: Duration = .seconds(15)
    /// The relays captured mail may be released to; none unless configured.
    public var relays = RelayConfiguration()
    /// The listener for MailHog's API v1 and v2 (`--mailhog-api`), off when `nil`.
    public var mailHogAPIHost: String?
    public var mailHogAPIPort: Int?
    /// The version the Mailpit and MailHog APIs report.
    public var version = "dev"

    /// The POP3 listeners, plain (with STLS) and implicit TLS; both off unless set.
    public var pop3Host: String?
    public var pop3Port: Int?
    public var pop3sHost: String?
    public var pop3sPort: Int?
    public var pop3DeletionMode: POP3DeletionMode = .delete
    /// The IMAP listeners, plain (with STARTTLS) and implicit TLS; both off unless set.
    public var imapHost: String?
    public var imapPort: Int?
    public var imapsHost: String?
    public var imapsPort: Int?
    /// Whether POP3 and IMAP accept a plaintext password on a connection that is neither TLS nor from
    /// loopback.
    public var allowPlaintextLogin = false

    public init() {}

    var retention: RetentionDefaults {
        RetentionDefaults(maximumMessages: maximumMessages, maximumAgeSeconds: maximumAgeSeconds)
    }
}

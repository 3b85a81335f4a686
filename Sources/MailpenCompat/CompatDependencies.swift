import Foundation
import Logging
import MailpenChecks
import MailpenRelay
import MailpenStore

/// What the Mailpit and MailHog routes need from the rest of Mailpen.
public struct CompatDependencies: Sendable {
    public var store: any MailpenStore
    public var checks: MessageChecks
    /// Whether mail sent through the API may create its inbox (as SMTP AUTH does with `--smtp-auth any`).
    public var createsInboxesOnFirstUse: Bool
    /// Largest message the send route accepts.
    public var maximumMessageSize: Int
    /// Most envelope recipients of a message Mailpit's send route stores, as SMTP's `--max-recipients`.
    public var maximumRecipients = 1000
    /// Mailpen's version, reported where Mailpit reports its own.
    public var version: String
    /// The database file, reported by Mailpit's info route.
    public var databasePath: String
    /// Whether the spam check asks a SpamAssassin spamd (Mailpit's web UI setting of that name).
    public var usesSpamAssassin: Bool
    /// When the server started, for the uptime Mailpit reports.
    public var startedAt: Date
    /// How often the event streams send a heartbeat.
    public var heartbeatInterval: Duration
    /// The relays that Mailpit's and MailHog's release routes send through; `nil` or empty answers as a
    /// Mailpit or MailHog without a relay does.
    public var relays: RelayService?
    /// The chaos rules that Mailpit's `/api/v1/chaos` and MailHog's `/api/v2/jim` map onto (the global
    /// ones); `nil` answers as a server without chaos does.
    public var chaos: ChaosRules?
    /// The counts behind Mailpit's runtime statistics; `nil` reports them as zero.
    public var runtimeCounters: (any RuntimeCounting)?
    public var logger: Logger

    public init(
        store: any MailpenStore, checks: MessageChecks = MessageChecks(), createsInboxesOnFirstUse: Bool = true,
        maximumMessageSize: Int = 50 * 1024 * 1024, version: String = "dev", databasePath: String = ":memory:",
        usesSpamAssassin: Bool = false, startedAt: Date = Date(), heartbeatInterval: Duration = .seconds(15),
        logger: Logger
    ) {
        self.store = store
        self.checks = checks
        self.createsInboxesOnFirstUse = createsInboxesOnFirstUse
        self.maximumMessageSize = maximumMessageSize
        self.version = version
        self.databasePath = databasePath
        self.usesSpamAssassin = usesSpamAssassin
        self.startedAt = startedAt
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
    }
}

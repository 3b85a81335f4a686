import MailpenMIME

/// The one entry point of the checks: spam score, HTML client compatibility, links and
/// deliverability lint over a message.
///
/// A value type holding configuration only; create one at startup (with the `--spamd`
/// setting) and call it from any task. Each check is independent: the HTTP API calls
/// one per endpoint. Results are `Codable` with camelCase keys. The checks that do I/O,
/// `spam(_:)` (which may ask spamd) and `links(_:follow:)`, come with MailpenChecksNetwork.
public struct MessageChecks: Sendable {
    /// The engine `spam(_:)` uses.
    public var spamEngine: SpamEngine
    /// How `links(_:follow:)` requests URLs.
    public var linkFollowing: LinkFollowing
    /// The caniemail.com data; nil uses the copy bundled with MailpenChecks.
    public var caniemail: CanIEmailDatabase?

    public init(
        spamEngine: SpamEngine = .builtin,
        linkFollowing: LinkFollowing = LinkFollowing(),
        caniemail: CanIEmailDatabase? = nil
    ) {
        self.spamEngine = spamEngine
        self.linkFollowing = linkFollowing
        self.caniemail = caniemail
    }

    /// The built-in engine's score (no I/O), whatever `spamEngine` says.
    public func builtinSpam(_ context: CheckContext) -> SpamReport {
        BuiltinSpamRules.report(context)
    }

    /// HTML/CSS support across email clients for the message's HTML body.
    ///
    /// Throws `CheckError.invalidResource` only when the caniemail data cannot be loaded.
    public func html(_ context: CheckContext) throws -> HTMLCompatibilityReport {
        let database = try self.caniemail ?? CanIEmailDatabase.bundled()
        return HTMLCompatibilityCheck.report(html: context.message.htmlBody, database: database)
    }

    /// Every URL of the HTML and text bodies, without requesting any.
    public func links(_ context: CheckContext) -> LinkReport {
        let message = context.message
        let document = message.htmlBody.map(HTMLDocument.init)
        return LinkReport(links: LinkExtractor.links(html: document, text: message.textBody), followed: false)
    }

    /// Deliverability and RFC problems.
    public func lint(_ context: CheckContext) -> LintReport {
        LintCheck.report(context)
    }

    /// Loads the bundled caniemail data now rather than on the first `html` check.
    public static func preload() throws {
        _ = try CanIEmailDatabase.bundled()
    }
}

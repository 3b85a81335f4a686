import MailpenChecks
import MailpenMIME

/// The checks that do I/O: spamd and link following.
extension MessageChecks {
    /// The spam score from `spamEngine`.
    ///
    /// Throws `CheckError.spamdUnavailable` when the engine is spamd and it cannot be
    /// reached, times out or answers nonsense (the API answers 502), and `CheckError.tooLargeForSpamd` for
    /// a message over its size limit, which is not sent (422).
    public func spam(_ context: CheckContext) async throws -> SpamReport {
        switch self.spamEngine {
        case .builtin:
            return self.builtinSpam(context)
        case .spamassassin(let configuration):
            let size = context.message.raw.count
            guard size <= configuration.maximumMessageBytes else {
                throw CheckError.tooLargeForSpamd(
                    "the message is \(size) bytes; spamd is sent messages of at most \(configuration.maximumMessageBytes) (--spamd-max-size)"
                )
            }
            return try await SpamdClient(configuration: configuration).check(context.message.raw)
        }
    }

    /// Every URL of the HTML and text bodies; with `follow`, each http(s) URL is requested
    /// (see `LinkFollowing`: public addresses only unless allowed, at most `maximumLinks`,
    /// within `deadline`) and its `status` set. Cancelling the calling task cancels the
    /// requests in flight; the links not finished say "not checked: cancelled".
    public func links(_ context: CheckContext, follow: Bool) async -> LinkReport {
        let report = self.links(context)
        guard follow else {
            return report
        }
        let links = await LinkFollower(configuration: self.linkFollowing).follow(report.links)
        return LinkReport(links: links, followed: true)
    }
}
